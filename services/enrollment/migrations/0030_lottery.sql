-- Lottery classes (摇号): a class with a row here allocates its seats by a draw instead of
-- first come. The seed is generated when the lottery is set up and kept encrypted under the
-- at-rest key; its sha256 (the commitment) is public from then on, the seed once drawn.
CREATE TABLE lotteries (
    class_id              uuid PRIMARY KEY REFERENCES classes (id),
    seed_encrypted        text        NOT NULL,
    commitment            text        NOT NULL,
    priority_unsubsidised boolean     NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL,
    created_by            uuid,
    drawn_at              timestamptz,
    drawn_by              uuid,      -- NULL: the draw job at the window's close
    early_reason          text,      -- an administrator's draw before the close says why
    seats                 integer,
    offers                integer,
    waitlisted            integer,
    ineligible            integer
);
CREATE INDEX lotteries_pending ON lotteries (class_id) WHERE drawn_at IS NULL;

-- A draw happens once: once drawn_at is set, neither the seed, the commitment nor the draw's
-- record changes, and the row is never deleted (whatever the caller).
CREATE FUNCTION lotteries_drawn_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'lotteries rows are never deleted';
    END IF;
    IF OLD.drawn_at IS NOT NULL THEN
        RAISE EXCEPTION 'lottery of class % was drawn at %; it cannot be drawn again',
            OLD.class_id, OLD.drawn_at;
    END IF;
    IF NEW.seed_encrypted <> OLD.seed_encrypted OR NEW.commitment <> OLD.commitment THEN
        RAISE EXCEPTION 'a lottery seed is never replaced';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER lotteries_drawn_once BEFORE UPDATE OR DELETE ON lotteries
    FOR EACH ROW EXECUTE FUNCTION lotteries_drawn_once();

-- Applications to a lottery class. At the draw each applied one gets its rank (1 = first in
-- the draw order), its priority group and its outcome; offered and waitlisted ones become
-- enrolments with the same id.
CREATE TABLE applications (
    id             uuid PRIMARY KEY,
    class_id       uuid        NOT NULL REFERENCES lotteries (class_id),
    trainee_id     uuid        NOT NULL REFERENCES users (id),
    status         text        NOT NULL DEFAULT 'applied'
                   CHECK (status IN ('applied', 'withdrawn', 'drawn')),
    priority_group smallint,
    rank           integer,
    outcome        text CHECK (outcome IN ('offered', 'waitlisted', 'ineligible')),
    refusal_code   text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    UNIQUE (class_id, rank)
);
CREATE UNIQUE INDEX applications_one_live ON applications (class_id, trainee_id)
    WHERE status <> 'withdrawn';
CREATE INDEX applications_trainee ON applications (trainee_id, created_at DESC);
