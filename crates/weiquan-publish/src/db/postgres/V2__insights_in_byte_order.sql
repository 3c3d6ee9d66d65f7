-- The insights' words sort and group byte by byte, as in the SQLite file,
-- whatever the server's locale: reports list ties in the same order on
-- both databases, and comparisons skip the locale's rules.
ALTER TABLE searches
    ALTER COLUMN query TYPE TEXT COLLATE "C",
    ALTER COLUMN channel TYPE TEXT COLLATE "C",
    ALTER COLUMN kiosk TYPE TEXT COLLATE "C",
    ALTER COLUMN region TYPE TEXT COLLATE "C";
ALTER TABLE topics ALTER COLUMN topic TYPE TEXT COLLATE "C";
ALTER TABLE opens ALTER COLUMN doc TYPE TEXT COLLATE "C";
ALTER TABLE feedback ALTER COLUMN doc TYPE TEXT COLLATE "C";
