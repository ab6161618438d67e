import { randomizedLeakTest } from './leak-harness.ts';

randomizedLeakTest(3);
