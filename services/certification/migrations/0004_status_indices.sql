-- Every status-list index ever given out. Indices are drawn at random within a list (a
-- sequential index told where in the issuing order, and so roughly when, a certificate was
-- signed); a draw claims its index here, and ON CONFLICT tells a taken one without an error.
CREATE TABLE status_indices (status_index bigint PRIMARY KEY);
INSERT INTO status_indices SELECT status_index FROM certificates WHERE status_index IS NOT NULL;
