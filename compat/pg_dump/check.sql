-- What tests/compat_pg_dump.rs runs, with `psql -X -At -v ON_ERROR_STOP=1`, after
-- restoring dump.sql; expected.txt is this file's output on the PostgreSQL 15
-- database the dump came from. It reads every row back, then checks that what is not
-- data came back too: sequence positions, defaults, keys, the cascade and the checks.
-- Timestamps are shown in UTC so that the server's zone does not matter.
SET TimeZone = 'UTC';

-- Every row of every table and of the view, every column, in key order.
SELECT id, email, name, created_at, active FROM customer ORDER BY id;
SELECT sku, title, price, tags, attrs, raw_attrs FROM product ORDER BY sku;
SELECT id, customer_id, placed, note, invoice_no FROM purchase ORDER BY id;
SELECT purchase_id, line, sku, qty FROM purchase_line ORDER BY purchase_id, line;
SELECT id, kind, payload FROM event ORDER BY id;
SELECT id, blob, took, level, ratio, score, taken_at FROM sample ORDER BY id;
SELECT at, who, message FROM audit_note ORDER BY at, who, message;
SELECT email, purchase_id, placed, has_note FROM customer_purchases ORDER BY purchase_id;

-- The schema: the constraints and indexes by name, and the sequences' owners.
SELECT conname, contype FROM pg_constraint
    WHERE conrelid::regclass::text IN
        ('customer', 'product', 'purchase', 'purchase_line', 'event', 'sample', 'audit_note')
    ORDER BY conname;
SELECT tablename, indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND tablename IN
        ('customer', 'product', 'purchase', 'purchase_line', 'event', 'sample', 'audit_note')
    ORDER BY indexname;
SELECT pg_get_serial_sequence('customer', 'id'), pg_get_serial_sequence('purchase', 'id'),
    pg_get_serial_sequence('event', 'id');

-- Sequences go on from where the dump left them (setval), not from their start.
SELECT nextval('customer_id_seq'), nextval('purchase_id_seq'), nextval('event_id_seq'),
    nextval('invoice_seq');

-- Defaults, serial and identity columns for new rows.
INSERT INTO customer (email) VALUES ('new@example.com')
    RETURNING id, email, name, active, created_at > '2024-06-01';
INSERT INTO purchase (customer_id, placed) VALUES (4, '2024-06-01') RETURNING id, invoice_no;
INSERT INTO purchase_line (purchase_id, line, sku) VALUES (7, 1, 'C-300') RETURNING qty;
INSERT INTO event (kind) VALUES ('restored') RETURNING id;

-- A unique index answers ON CONFLICT; the foreign key cascades.
INSERT INTO customer (email) VALUES ('ada@example.com') ON CONFLICT (email) DO NOTHING;
DELETE FROM customer WHERE id = 2;
SELECT count(*) FROM purchase WHERE customer_id = 2;

-- Each constraint refuses what it should, by SQLSTATE (the messages go to stderr).
\set ON_ERROR_STOP 0
INSERT INTO purchase_line (purchase_id, line, sku) VALUES (999, 1, 'A-100');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM product WHERE sku = 'A-100';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO product (sku, title, price) VALUES ('X-1', 'negative', -1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO purchase_line VALUES (1, 1, 'A-100', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO sample (id, level, taken_at) VALUES ('00000000-0000-0000-0000-000000000002', 1, '2024-05-01 10:00:00');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO customer (email) VALUES (NULL);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO event (id, kind) VALUES (100, 'manual');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
SELECT count(*) FROM customer;
