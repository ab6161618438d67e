// Another process on the database file that takes the write lock (BEGIN IMMEDIATE) the moment
// its stdin says "lock", prints "locked", and commits and exits when its stdin closes. Started
// ahead, it takes the lock within microseconds of the cue instead of a process start later:
// what a test needs when the lock must land while another process's work is still under way.
import Database from 'libsql';
import { takeWriteLock } from '../helpers/take-write-lock.ts';

const db = new Database(process.argv[2]!);
let locked = false;
let heard = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d: string) => {
  heard += d;
  if (locked || !heard.includes('lock\n')) return;
  takeWriteLock(db);
  db.exec('UPDATE settings SET change_counter = change_counter WHERE id = 1');
  locked = true;
  process.stdout.write('locked\n');
});
process.stdin.on('end', () => {
  if (locked) db.exec('COMMIT');
  db.close();
  process.exit(0);
});
process.stdout.write('ready\n');
