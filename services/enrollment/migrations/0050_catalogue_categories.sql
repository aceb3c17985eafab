-- The catalogue at scale: categories with names in both languages, and the open classes
-- counted and listed from one small index instead of the whole class table.

CREATE TABLE course_categories (
    code    text PRIMARY KEY,   -- what courses.category holds
    name_zh text NOT NULL,
    name_en text NOT NULL
);
INSERT INTO course_categories (code, name_zh, name_en) VALUES
    ('ecommerce', '电子商务', 'E-commerce'),
    ('care', '照护服务', 'Care'),
    ('domestic', '家政服务', 'Housekeeping'),
    ('catering', '餐饮服务', 'Catering'),
    ('hospitality', '礼仪服务', 'Hospitality');

-- A course's category never changes, so a class copies it once when it is made; the trigger
-- keeps every writer (API, roster import, demo seed, tests' COPY) right without knowing.
ALTER TABLE classes ADD COLUMN category text;
UPDATE classes c SET category = co.category FROM courses co WHERE co.id = c.course_id;
ALTER TABLE classes ALTER COLUMN category SET NOT NULL;

CREATE FUNCTION classes_copy_category() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT category INTO NEW.category FROM courses WHERE id = NEW.course_id;
    RETURN NEW;
END $$;
CREATE TRIGGER classes_copy_category BEFORE INSERT OR UPDATE OF course_id ON classes
    FOR EACH ROW EXECUTE FUNCTION classes_copy_category();

-- Open now = scheduled, results not released, enroll_opens_at <= now < enroll_closes_at.
-- Both indexes leave out the classes whose results were released (every finished class, once
-- its trainer releases them): the catalogue's open list walks the first in start order and
-- meets only classes running or to come; the counts read the second from the bottom of the
-- window up to now, which skips the classes not open yet too.
CREATE INDEX classes_enrolling_by_start ON classes (starts_on, id)
    INCLUDE (enroll_opens_at, enroll_closes_at, category, course_id)
    WHERE status = 'scheduled' AND results_released_at IS NULL;
CREATE INDEX classes_enrolling ON classes (enroll_opens_at)
    INCLUDE (enroll_closes_at, category)
    WHERE status = 'scheduled' AND results_released_at IS NULL;
