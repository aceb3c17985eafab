-- Each change of a class's trainers (and its scheduling) publishes ClassTrainersChanged with
-- the next trainers_seq; certification keeps the list with the largest seq. 0: none published
-- yet (classes scheduled before this column existed).
ALTER TABLE classes ADD COLUMN trainers_seq integer NOT NULL DEFAULT 0;
