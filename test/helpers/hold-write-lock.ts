// Another process on the same database file that takes the write lock (BEGIN IMMEDIATE), prints
// "locked", holds it for argv[3] ms (or, with "stdin", until its stdin closes), then commits and
// exits: what a long import in a second Herald process looks like to this one.
import Database from 'libsql';
import { takeWriteLock } from './take-write-lock.ts';

const [file, ms] = process.argv.slice(2);
const db = new Database(file!);
// Gets past a writer that holds the lock right now (the outbox recording a group).
takeWriteLock(db);
db.exec('UPDATE settings SET change_counter = change_counter WHERE id = 1');
process.stdout.write('locked\n');
const release = () => {
  db.exec('COMMIT');
  db.close();
  process.stdout.write('released\n');
  process.exit(0);
};
if (ms === 'stdin') process.stdin.on('end', release).resume();
else setTimeout(release, Number(ms));
