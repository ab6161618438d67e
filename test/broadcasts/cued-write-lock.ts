// Another process on the database file that takes the write lock (BEGIN IMMEDIATE) the moment
// its stdin says "lock", prints "locked", and commits and exits when its stdin closes. Started
// ahead, it takes the lock within microseconds of the cue instead of a process start later:
// what a test needs when the lock must land while another process's work is still under way.
import Database from 'libsql';

const db = new Database(process.argv[2]!);
// A writer may hold the lock right now (an import's chunk being committed). SQLite's busy handler
// sleeps between tries (up to 100 ms), and a writer that commits chunk after chunk takes the lock
// back in every one of those sleeps: waiting so, this process could miss a whole import. So it
// does not sleep: it tries again at once until a gap between two chunks lets it in.
db.exec('PRAGMA busy_timeout = 0');
function takeLock() {
  for (const until = Date.now() + 30_000; ;) {
    try {
      db.exec('BEGIN IMMEDIATE');
      return;
    } catch (err) {
      if (!/busy|locked/i.test(String(err)) || Date.now() > until) throw err;
    }
  }
}
let locked = false;
let heard = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d: string) => {
  heard += d;
  if (locked || !heard.includes('lock\n')) return;
  takeLock();
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
