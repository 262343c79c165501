--
-- PostgreSQL database dump
--

\restrict SsEtoFKQDTaokEGQz47CtOz6BYGSphZFp9UaWIYZNNYu7LuBe6ewJZjwXR0V0DJ

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: audit_note; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.audit_note (
    at timestamp with time zone,
    who text,
    message text
);


ALTER TABLE public.audit_note OWNER TO postgres;

--
-- Name: customer; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.customer (
    id integer NOT NULL,
    email character varying(200) NOT NULL,
    name text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    active boolean DEFAULT true
);


ALTER TABLE public.customer OWNER TO postgres;

--
-- Name: customer_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.customer_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.customer_id_seq OWNER TO postgres;

--
-- Name: customer_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
--

ALTER SEQUENCE public.customer_id_seq OWNED BY public.customer.id;


--
-- Name: invoice_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.invoice_seq
    START WITH 1000
    INCREMENT BY 10
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.invoice_seq OWNER TO postgres;

--
-- Name: purchase; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.purchase (
    id bigint NOT NULL,
    customer_id integer NOT NULL,
    placed date NOT NULL,
    note text,
    invoice_no bigint DEFAULT nextval('public.invoice_seq'::regclass) NOT NULL
);


ALTER TABLE public.purchase OWNER TO postgres;

--
-- Name: customer_purchases; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW public.customer_purchases AS
 SELECT c.email,
    p.id AS purchase_id,
    p.placed,
    (p.note IS NOT NULL) AS has_note
   FROM (public.customer c
     JOIN public.purchase p ON ((p.customer_id = c.id)))
  WHERE c.active;


ALTER TABLE public.customer_purchases OWNER TO postgres;

--
-- Name: event; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload jsonb
);


ALTER TABLE public.event OWNER TO postgres;

--
-- Name: event_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

ALTER TABLE public.event ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: product; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.product (
    sku text NOT NULL,
    title text NOT NULL,
    price numeric(10,2) NOT NULL,
    tags text[],
    attrs jsonb,
    raw_attrs json,
    CONSTRAINT product_price_check CHECK ((price >= (0)::numeric))
);


ALTER TABLE public.product OWNER TO postgres;

--
-- Name: purchase_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.purchase_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.purchase_id_seq OWNER TO postgres;

--
-- Name: purchase_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: postgres
--

ALTER SEQUENCE public.purchase_id_seq OWNED BY public.purchase.id;


--
-- Name: purchase_line; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.purchase_line (
    purchase_id bigint NOT NULL,
    line integer NOT NULL,
    sku text NOT NULL,
    qty integer DEFAULT 1 NOT NULL
);


ALTER TABLE public.purchase_line OWNER TO postgres;

--
-- Name: sample; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.sample (
    id uuid NOT NULL,
    blob bytea,
    took interval,
    level smallint,
    ratio real,
    score double precision,
    taken_at timestamp without time zone
);


ALTER TABLE public.sample OWNER TO postgres;

--
-- Name: customer id; Type: DEFAULT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.customer ALTER COLUMN id SET DEFAULT nextval('public.customer_id_seq'::regclass);


--
-- Name: purchase id; Type: DEFAULT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.purchase ALTER COLUMN id SET DEFAULT nextval('public.purchase_id_seq'::regclass);


--
-- Data for Name: audit_note; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.audit_note (at, who, message) FROM stdin;
2024-01-01 00:00:00+00	system	restore test
2024-01-01 00:00:00+00	system	restore test
\N	\N	\N
2024-01-02 00:00:00+00	ada	multi\nline
\.


--
-- Data for Name: customer; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.customer (id, email, name, created_at, active) FROM stdin;
1	ada@example.com	Ada Lovelace	2024-01-15 09:30:00+00	t
2	bob@example.com	\N	2024-02-29 21:59:59.5+00	f
3	zoe@example.com	Zoë O'Brien "the first" 🐘	2024-03-01 00:00:00+00	t
4	empty@example.com		2024-04-01 17:00:00+00	\N
5	jp@example.com	日本語の名前	2024-05-04 20:05:05.123456+00	t
\.


--
-- Data for Name: event; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.event (id, kind, payload) FROM stdin;
1	signup	{"customer": 1}
2	login	\N
3	refund	{"amount": 12.5, "reason": "damaged"}
\.


--
-- Data for Name: product; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.product (sku, title, price, tags, attrs, raw_attrs) FROM stdin;
A-100	Widget	19.99	{red,blue}	{"size": "M", "weight": 1.50}	{"size":"M",  "weight":1.50}
B-200	Gadget, "deluxe"	1234.50	{"with space","quote\\"d",NULL,""}	{"é": "ü", "nested": {"a": [1, null, true]}}	{"a": 1, "a": 2}
C-300	Free sample	0.00	{}	[]	[1, 2, 3]
D-400	Back\\slash\ttab	0.50	\N	\N	\N
\.


--
-- Data for Name: purchase; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.purchase (id, customer_id, placed, note, invoice_no) FROM stdin;
1	1	2024-01-20	first order	1000
2	1	2024-02-01	line one\nline two\twith a tab and a back\\slash	1010
3	2	2024-03-05	\N	1020
4	3	2024-03-06		1030
5	5	2023-12-31	It's «quoted» — 🚀	1040
\.


--
-- Data for Name: purchase_line; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.purchase_line (purchase_id, line, sku, qty) FROM stdin;
1	1	A-100	2
1	2	B-200	1
2	1	C-300	10
4	1	A-100	1
5	1	D-400	3
\.


--
-- Data for Name: sample; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.sample (id, blob, took, level, ratio, score, taken_at) FROM stdin;
00000000-0000-0000-0000-000000000001	\\x00ff10	1 day 02:03:04	1	1.5	0.25	2024-05-01 10:00:00
a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11	\\x	3 mons -1 days	-32768	-0.5	-2.75	2024-05-01 10:00:00
ffffffff-ffff-ffff-ffff-ffffffffffff	\N	00:00:00.5	32767	\N	Infinity	\N
12345678-90ab-cdef-1234-567890abcdef	\\x5c0a27	-10 mons	\N	0	0.125	1999-12-31 23:59:59.999999
\.


--
-- Name: customer_id_seq; Type: SEQUENCE SET; Schema: public; Owner: postgres
--

SELECT pg_catalog.setval('public.customer_id_seq', 5, true);


--
-- Name: event_id_seq; Type: SEQUENCE SET; Schema: public; Owner: postgres
--

SELECT pg_catalog.setval('public.event_id_seq', 3, true);


--
-- Name: invoice_seq; Type: SEQUENCE SET; Schema: public; Owner: postgres
--

SELECT pg_catalog.setval('public.invoice_seq', 1040, true);


--
-- Name: purchase_id_seq; Type: SEQUENCE SET; Schema: public; Owner: postgres
--

SELECT pg_catalog.setval('public.purchase_id_seq', 5, true);


--
-- Name: customer customer_email_key; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.customer
    ADD CONSTRAINT customer_email_key UNIQUE (email);


--
-- Name: customer customer_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.customer
    ADD CONSTRAINT customer_pkey PRIMARY KEY (id);


--
-- Name: event event_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.event
    ADD CONSTRAINT event_pkey PRIMARY KEY (id);


--
-- Name: product product_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.product
    ADD CONSTRAINT product_pkey PRIMARY KEY (sku);


--
-- Name: purchase_line purchase_line_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.purchase_line
    ADD CONSTRAINT purchase_line_pkey PRIMARY KEY (purchase_id, line);


--
-- Name: purchase purchase_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.purchase
    ADD CONSTRAINT purchase_pkey PRIMARY KEY (id);


--
-- Name: sample sample_level_taken_key; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.sample
    ADD CONSTRAINT sample_level_taken_key UNIQUE (level, taken_at);


--
-- Name: sample sample_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.sample
    ADD CONSTRAINT sample_pkey PRIMARY KEY (id);


--
-- Name: product_title_idx; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX product_title_idx ON public.product USING btree (title);


--
-- Name: purchase_customer_placed_idx; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX purchase_customer_placed_idx ON public.purchase USING btree (customer_id, placed DESC);


--
-- Name: purchase purchase_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.purchase
    ADD CONSTRAINT purchase_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customer(id) ON DELETE CASCADE;


--
-- Name: purchase_line purchase_line_purchase_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.purchase_line
    ADD CONSTRAINT purchase_line_purchase_id_fkey FOREIGN KEY (purchase_id) REFERENCES public.purchase(id);


--
-- Name: purchase_line purchase_line_sku_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.purchase_line
    ADD CONSTRAINT purchase_line_sku_fkey FOREIGN KEY (sku) REFERENCES public.product(sku);


--
-- PostgreSQL database dump complete
--

\unrestrict SsEtoFKQDTaokEGQz47CtOz6BYGSphZFp9UaWIYZNNYu7LuBe6ewJZjwXR0V0DJ

