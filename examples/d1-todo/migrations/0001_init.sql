-- Migration number: 0001 	 The todos table.
CREATE TABLE todos (
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT    NOT NULL CHECK (title <> ''),
  done  INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1))
);
