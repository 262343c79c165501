-- The database make_dump.sh loads into PostgreSQL 15 and dumps with pg_dump: a small
-- shop with the column types, defaults, keys, indexes and awkward values a real dump
-- carries. Table names are singular so that they do not collide with anything a
-- shared development server may already hold.
CREATE SEQUENCE invoice_seq START 1000 INCREMENT 10;
CREATE TABLE customer (
    id serial PRIMARY KEY,
    email varchar(200) UNIQUE NOT NULL,
    name text,
    created_at timestamptz NOT NULL DEFAULT now(),
    active boolean DEFAULT true
);
CREATE TABLE product (
    sku text PRIMARY KEY,
    title text NOT NULL,
    price numeric(10,2) NOT NULL CHECK (price >= 0),
    tags text[],
    attrs jsonb,
    raw_attrs json
);
CREATE TABLE purchase (
    id bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    placed date NOT NULL,
    note text,
    invoice_no bigint NOT NULL DEFAULT nextval('invoice_seq')
);
CREATE TABLE purchase_line (
    purchase_id bigint REFERENCES purchase (id),
    line integer,
    sku text NOT NULL REFERENCES product (sku),
    qty integer NOT NULL DEFAULT 1,
    PRIMARY KEY (purchase_id, line)
);
CREATE TABLE event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    payload jsonb
);
CREATE TABLE sample (
    id uuid PRIMARY KEY,
    blob bytea,
    took interval,
    level smallint,
    ratio real,
    score double precision,
    taken_at timestamp,
    CONSTRAINT sample_level_taken_key UNIQUE (level, taken_at)
);
-- No primary key: pg_dump must carry duplicate rows as they are.
CREATE TABLE audit_note (at timestamptz, who text, message text);
CREATE INDEX purchase_customer_placed_idx ON purchase (customer_id, placed DESC);
CREATE INDEX product_title_idx ON product (title);
CREATE VIEW customer_purchases AS
    SELECT c.email, p.id AS purchase_id, p.placed, p.note IS NOT NULL AS has_note
    FROM customer c JOIN purchase p ON p.customer_id = c.id
    WHERE c.active;

INSERT INTO customer (email, name, created_at, active) VALUES
    ('ada@example.com', 'Ada Lovelace', '2024-01-15 09:30:00+00', true),
    ('bob@example.com', NULL, '2024-02-29 23:59:59.5+02', false),
    ('zoe@example.com', 'Zoë O''Brien "the first" 🐘', '2024-03-01 00:00:00+00', true),
    ('empty@example.com', '', '2024-04-01 12:00:00-05', NULL),
    ('jp@example.com', '日本語の名前', '2024-05-05 05:05:05.123456+09', true);
INSERT INTO product VALUES
    ('A-100', 'Widget', 19.99, '{red,blue}', '{"size": "M", "weight": 1.50}', '{"size":"M",  "weight":1.50}'),
    ('B-200', 'Gadget, "deluxe"', 1234.5, '{"with space","quote\"d",NULL,""}',
     '{"nested": {"a": [1, null, true]}, "é": "ü"}', '{"a": 1, "a": 2}'),
    ('C-300', 'Free sample', 0, '{}', '[]', '[1, 2, 3]'),
    ('D-400', E'Back\\slash\ttab', 0.5, NULL, NULL, NULL);
INSERT INTO purchase (customer_id, placed, note) VALUES
    (1, '2024-01-20', 'first order'),
    (1, '2024-02-01', E'line one\nline two\twith a tab and a back\\slash'),
    (2, '2024-03-05', NULL),
    (3, '2024-03-06', ''),
    (5, '2023-12-31', 'It''s «quoted» — 🚀');
INSERT INTO purchase_line (purchase_id, line, sku, qty) VALUES
    (1, 1, 'A-100', 2), (1, 2, 'B-200', DEFAULT), (2, 1, 'C-300', 10), (4, 1, 'A-100', 1), (5, 1, 'D-400', 3);
INSERT INTO event (kind, payload) VALUES
    ('signup', '{"customer": 1}'), ('login', NULL), ('refund', '{"amount": 12.5, "reason": "damaged"}');
INSERT INTO sample VALUES
    ('00000000-0000-0000-0000-000000000001', '\x00ff10', '1 day 02:03:04', 1, 1.5, 0.25, '2024-05-01 10:00:00'),
    ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '', '3 mons -1 days', -32768, -0.5, -2.75, '2024-05-01 10:00:00'),
    ('ffffffff-ffff-ffff-ffff-ffffffffffff', NULL, '00:00:00.5', 32767, NULL, 'Infinity', NULL),
    ('12345678-90ab-cdef-1234-567890abcdef', '\x5c0a27', '-1 years +2 mons', NULL, 0, 0.125, '1999-12-31 23:59:59.999999');
INSERT INTO audit_note VALUES
    ('2024-01-01 00:00:00+00', 'system', 'restore test'),
    ('2024-01-01 00:00:00+00', 'system', 'restore test'),
    (NULL, NULL, NULL),
    ('2024-01-02 00:00:00+00', 'ada', E'multi\nline');
