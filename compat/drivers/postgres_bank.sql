-- What Turnstile's bank module (modules/bank, loaded by default) gives every server,
-- for a PostgreSQL 15 that the scenarios are checked against: the accounts table
-- (sql/bank.sql) and the reducers open_account and transfer as PL/pgSQL procedures
-- with the same behaviour: a taken id answers 23505, an unknown account or
-- insufficient funds raise P0001 ("insufficient funds: …"), a transfer to itself moves
-- nothing. Load it once: against-postgres.sh does.
CREATE TABLE IF NOT EXISTS accounts (id BIGINT PRIMARY KEY, owner TEXT NOT NULL, balance BIGINT NOT NULL);

CREATE OR REPLACE PROCEDURE open_account(id BIGINT, owner TEXT, balance BIGINT) LANGUAGE sql AS $$
    INSERT INTO accounts VALUES (id, owner, balance);
$$;

CREATE OR REPLACE PROCEDURE transfer(src BIGINT, dst BIGINT, amount BIGINT) LANGUAGE plpgsql AS $$
DECLARE
    src_balance BIGINT;
BEGIN
    IF amount < 0 THEN
        RAISE EXCEPTION 'transfer amount must not be negative, got %', amount;
    END IF;
    -- Lock both rows in id order: concurrent transfers never deadlock.
    PERFORM 1 FROM accounts WHERE id IN (src, dst) ORDER BY id FOR UPDATE;
    SELECT balance INTO src_balance FROM accounts WHERE id = src;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account %', src;
    END IF;
    PERFORM 1 FROM accounts WHERE id = dst;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account %', dst;
    END IF;
    IF src_balance < amount THEN
        RAISE EXCEPTION 'insufficient funds: account % has %, transfer needs %', src, src_balance, amount;
    END IF;
    IF src = dst THEN
        RETURN;
    END IF;
    UPDATE accounts SET balance = balance - amount WHERE id = src;
    UPDATE accounts SET balance = balance + amount WHERE id = dst;
END
$$;
