-- Trigram operator classes for the video search indexes. pg_trgm ships with PostgreSQL (contrib)
-- and with PGlite (loaded in database.connection.ts); it is a trusted extension, so a database
-- owner can create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
