// The driver scenario (compat/drivers/README.md) with pgJDBC (Debian's
// libpostgresql-jdbc-java): typed getters and setters, the raw text the server sent
// (getString on a text-format result), binary results (prepareThreshold=-1 makes every
// statement server-prepared with binary transfer from its first execution), a
// PreparedStatement executed 200 times (pgJDBC switches it to a named, binary
// statement after 5), JDBC transactions (setAutoCommit(false)) and
// setTransactionIsolation(SERIALIZABLE) with a serialization failure retried.
// Usage: javac -d DIR Scenario.java && java -cp DIR:/usr/share/java/postgresql.jar \
//            -Duser.timezone=UTC Scenario POSTGRES_URL
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

public class Scenario {
    static final String T = "compat_jdbc";
    static final long ACCT_A = 8001, ACCT_B = 8002;
    static final String[] COLUMNS = {"c_bool boolean", "c_int2 smallint", "c_int4 integer", "c_int8 bigint",
        "c_float4 real", "c_float8 double precision", "c_numeric numeric", "c_text text", "c_varchar varchar(20)",
        "c_bytea bytea", "c_timestamp timestamp", "c_timestamptz timestamptz", "c_date date", "c_uuid uuid",
        "c_jsonb jsonb"};
    static final String TEXT = "héllo wörld ✓ 日本語 🐘🚀 it's \"quoted\" back\\slash";
    static final String JSON = "{\"b\": null, \"aa\": [1, 2.5, \"x\"], \"é\": \"🐘\"}";
    static final byte[] SOME_BYTES = {0, 1, 2, 0, (byte) 0xff, 0};
    static final byte[] ALL_BYTES = new byte[256];
    static {
        for (int i = 0; i < 256; i++) ALL_BYTES[i] = (byte) i;
    }

    // The rows as Java values (what setObject sends and the typed getters must return).
    static final Object[][] ROWS = {
        {1, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null},
        {2, true, (short) -32768, -2147483648, Long.MIN_VALUE, -1.5f, -2.2250738585072014e-308,
            new BigDecimal("-12345678901234567890.12345678"), TEXT, "ünïcødé 🎉", SOME_BYTES,
            LocalDateTime.parse("2024-02-29T23:59:59.123456"), OffsetDateTime.parse("2024-06-30T12:34:56.789+05:30"),
            LocalDate.parse("2000-02-29"), UUID.fromString("00000000-0000-0000-0000-000000000000"), JSON},
        {3, false, (short) 32767, 2147483647, Long.MAX_VALUE, Float.MAX_VALUE, Double.MAX_VALUE,
            new BigDecimal("0.0000000000000000000000000001"), "", "abcdefghijklmnopqrs🐘", ALL_BYTES,
            LocalDateTime.parse("1970-01-01T00:00:00"), OffsetDateTime.parse("1999-12-31T23:59:59.999999-08:00"),
            LocalDate.parse("9999-12-31"), UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "[]"},
    };

    // What PostgreSQL 15 sends in text format (TimeZone UTC).
    static final String[][] TEXT_ROWS = {
        {"1", null, null, null, null, null, null, null, null, null, null, null, null, null, null, null},
        {"2", "t", "-32768", "-2147483648", "-9223372036854775808", "-1.5", "-2.2250738585072014e-308",
            "-12345678901234567890.12345678", TEXT, "ünïcødé 🎉", "\\x00010200ff00", "2024-02-29 23:59:59.123456",
            "2024-06-30 07:04:56.789+00", "2000-02-29", "00000000-0000-0000-0000-000000000000", JSON},
        {"3", "f", "32767", "2147483647", "9223372036854775807", "3.4028235e+38", "1.7976931348623157e+308",
            "0.0000000000000000000000000001", "", "abcdefghijklmnopqrs🐘", "\\x" + hex(ALL_BYTES),
            "1970-01-01 00:00:00", "2000-01-01 07:59:59.999999+00", "9999-12-31",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "[]"},
    };

    static String jdbcUrl;
    static int ok = 0, failed = 0;

    interface Step {
        void run() throws Exception;
    }

    static boolean step(String name, Step body) {
        try {
            body.run();
            System.out.println("PASS " + name);
            ok++;
            return true;
        } catch (SQLException e) {
            System.out.println("FAIL " + name + ": SQLSTATE " + e.getSQLState() + ": " + e.getMessage() + where(e));
        } catch (Throwable e) {
            System.out.println("FAIL " + name + ": " + e + where(e));
        }
        failed++;
        return false;
    }

    static String where(Throwable e) {
        for (StackTraceElement f : e.getStackTrace()) {
            if (f.getClassName().startsWith("Scenario")) return " (line " + f.getLineNumber() + ")";
        }
        return "";
    }

    static void check(boolean condition, String message) {
        if (!condition) throw new AssertionError(message);
    }

    static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) s.append(String.format("%02x", b));
        return s.toString();
    }

    static Connection connect(String extra) throws SQLException {
        return DriverManager.getConnection(jdbcUrl + extra);
    }

    static List<List<Object>> query(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
            try (ResultSet rs = ps.executeQuery()) {
                List<List<Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    List<Object> row = new ArrayList<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) row.add(rs.getObject(i));
                    rows.add(row);
                }
                return rows;
            }
        }
    }

    static void expect(List<List<Object>> got, String want) {
        check(got.toString().equals(want), "expected " + want + ", got " + got);
    }

    static void update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) ps.setObject(i + 1, params[i]);
            ps.executeUpdate();
        }
    }

    static SQLException expectError(String code, Step body) throws Exception {
        try {
            body.run();
        } catch (SQLException e) {
            check(code.equals(e.getSQLState()), "expected SQLSTATE " + code + ", got " + e.getSQLState() + ": " + e.getMessage());
            return e;
        }
        throw new AssertionError("expected an error with SQLSTATE " + code + ", got none");
    }

    static void answers(Connection c) throws SQLException {
        expect(query(c, "SELECT 1"), "[[1]]");
    }

    static String selectAll() {
        StringBuilder s = new StringBuilder("SELECT id");
        for (String c : COLUMNS) s.append(", ").append(c.split(" ")[0]);
        return s.append(" FROM ").append(T).append(" WHERE id < 10 ORDER BY id").toString();
    }

    // Every column through its typed getter, compared with ROWS; and, when rawText, the
    // raw text of every column compared with TEXT_ROWS.
    static void readAndCompare(Connection c, boolean rawText) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(selectAll())) {
            for (int r = 0; r < ROWS.length; r++) {
                check(rs.next(), "expected " + ROWS.length + " rows, got " + r);
                Object[] want = ROWS[r];
                Object[] got = {
                    rs.getInt(1), rs.getObject(2, Boolean.class), rs.getObject(3, Short.class),
                    rs.getObject(4, Integer.class), rs.getObject(5, Long.class), rs.getObject(6, Float.class),
                    rs.getObject(7, Double.class), rs.getBigDecimal(8), rs.getString(9), rs.getString(10),
                    rs.getBytes(11), rs.getObject(12, LocalDateTime.class), rs.getObject(13, OffsetDateTime.class),
                    rs.getObject(14, LocalDate.class), rs.getObject(15, UUID.class), rs.getString(16)};
                for (int i = 0; i < want.length; i++) {
                    Object w = want[i], g = got[i];
                    boolean same = (w instanceof byte[] && g instanceof byte[]) ? Arrays.equals((byte[]) w, (byte[]) g)
                        : (w instanceof OffsetDateTime && g instanceof OffsetDateTime)
                            ? ((OffsetDateTime) w).isEqual((OffsetDateTime) g)
                            : Objects.equals(w, g);
                    check(same, "row " + want[0] + " column " + rs.getMetaData().getColumnName(i + 1)
                        + ": expected " + show(w) + ", got " + show(g));
                    if (rawText) {
                        String raw = rs.getString(i + 1);
                        check(Objects.equals(TEXT_ROWS[r][i], raw), "row " + want[0] + " column "
                            + rs.getMetaData().getColumnName(i + 1) + " as text: expected " + TEXT_ROWS[r][i] + ", got " + raw);
                    }
                }
            }
            check(!rs.next(), "more than " + ROWS.length + " rows");
        }
    }

    static String show(Object v) {
        return v instanceof byte[] ? "bytes " + hex((byte[]) v) : String.valueOf(v);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java Scenario POSTGRES_URL");
            System.exit(2);
        }
        URI uri = new URI(args[0].replaceFirst("^postgres(ql)?://", "http://"));
        String user = uri.getUserInfo() == null ? "postgres" : uri.getUserInfo().split(":")[0];
        jdbcUrl = "jdbc:postgresql://" + uri.getHost() + ":" + uri.getPort() + uri.getPath() + "?user=" + user;

        Connection[] cs = new Connection[3];
        if (!step("connect", () -> {
            cs[0] = connect("");
            cs[1] = connect("");
            cs[2] = connect("&prepareThreshold=-1");
            answers(cs[0]);
        })) {
            finish();
        }
        Connection conn = cs[0], other = cs[1], binary = cs[2];

        step("create_table", () -> {
            try (Statement st = conn.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + T);
                st.execute("CREATE TABLE " + T + " (id integer PRIMARY KEY, " + String.join(", ", COLUMNS) + ")");
            }
        });

        step("insert_params", () -> {
            String marks = String.join(", ", java.util.Collections.nCopies(16, "?"));
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + T + " VALUES (" + marks + ")")) {
                for (Object[] row : ROWS) {
                    for (int i = 0; i < row.length; i++) {
                        if (i == 15 && row[i] != null) {
                            org.postgresql.util.PGobject json = new org.postgresql.util.PGobject();
                            json.setType("jsonb");
                            json.setValue((String) row[i]);
                            ps.setObject(i + 1, json);
                        } else if (row[i] == null) {
                            ps.setNull(i + 1, java.sql.Types.OTHER);
                        } else {
                            ps.setObject(i + 1, row[i]);
                        }
                    }
                    check(ps.executeUpdate() == 1, "insert count");
                }
            }
        });

        step("read_text", () -> readAndCompare(conn, true));
        step("read_binary", () -> readAndCompare(binary, false));

        step("prepared_reuse", () -> {
            try (PreparedStatement ins = conn.prepareStatement("INSERT INTO " + T + " (id, c_int4, c_text) VALUES (?, ?, ?)");
                 PreparedStatement sel = conn.prepareStatement("SELECT c_int4, c_text FROM " + T + " WHERE id = ?")) {
                for (int i = 1000; i < 1200; i++) {
                    ins.setInt(1, i);
                    ins.setInt(2, i * 2);
                    ins.setString(3, "row-" + i);
                    check(ins.executeUpdate() == 1, "insert count");
                }
                for (int i = 1000; i < 1200; i++) {
                    sel.setInt(1, i);
                    try (ResultSet rs = sel.executeQuery()) {
                        check(rs.next() && rs.getInt(1) == i * 2 && rs.getString(2).equals("row-" + i) && !rs.next(),
                            "id " + i + " read back wrong");
                    }
                }
            }
            expect(query(conn, "SELECT count(*), sum(c_int4) FROM " + T + " WHERE id >= ?", 1000), "[[200, 439800]]");
        });

        step("update_delete_counts", () -> {
            try (Statement st = conn.createStatement()) {
                int updated = st.executeUpdate("UPDATE " + T + " SET c_int8 = 7 WHERE id >= 1000 AND id < 1100");
                check(updated == 100, "UPDATE count " + updated);
            }
            try (PreparedStatement ps = conn.prepareStatement("DELETE FROM " + T + " WHERE id >= ?")) {
                ps.setInt(1, 1150);
                int deleted = ps.executeUpdate();
                check(deleted == 50, "DELETE count " + deleted);
            }
            expect(query(conn, "SELECT count(*) FROM " + T + " WHERE id >= 1000"), "[[150]]");
        });

        String[][] errors = {{"42601", "SELEC 1"}, {"42P01", "SELECT * FROM " + T + "_missing"},
            {"23505", "INSERT INTO " + T + " (id) VALUES (2)"}, {"22012", "SELECT 1 / 0"}};
        for (String[] e : errors) {
            step("error_" + e[0], () -> {
                expectError(e[0], () -> {
                    try (Statement st = conn.createStatement()) {
                        st.execute(e[1]);
                    }
                });
                answers(conn);
            });
        }

        String balances = "SELECT balance FROM accounts WHERE id IN (?, ?) ORDER BY id";
        step("call_transfer", () -> {
            update(conn, "DELETE FROM accounts WHERE id IN (?, ?)", ACCT_A, ACCT_B);
            update(conn, "CALL open_account(?, ?, ?)", ACCT_A, "alice", 100L);
            update(conn, "CALL open_account(?, ?, ?)", ACCT_B, "bob", 50L);
            update(conn, "CALL transfer(?, ?, ?)", ACCT_A, ACCT_B, 30L);
            expect(query(other, balances, ACCT_A, ACCT_B), "[[70], [80]]");
        });

        step("call_insufficient_funds", () -> {
            SQLException e = expectError("P0001", () -> update(conn, "CALL transfer(?, ?, ?)", ACCT_B, ACCT_A, 1000L));
            check(e.getMessage().contains("insufficient funds"), e.getMessage());
            expect(query(other, balances, ACCT_A, ACCT_B), "[[70], [80]]");
            answers(conn);
        });

        step("tx_commit", () -> {
            try (Connection tx = connect("")) {
                tx.setAutoCommit(false);
                update(tx, "INSERT INTO " + T + " (id, c_text) VALUES (?, ?)", 20, "committed");
                update(tx, "UPDATE " + T + " SET c_int4 = 5 WHERE id = 20");
                expect(query(tx, "SELECT c_int4 FROM " + T + " WHERE id = 20"), "[[5]]");
                expect(query(other, "SELECT count(*) FROM " + T + " WHERE id = 20"), "[[0]]");
                tx.commit();
            }
            expect(query(other, "SELECT count(*), max(c_int4) FROM " + T + " WHERE id = 20"), "[[1, 5]]");
        });

        step("tx_rollback", () -> {
            try (Connection tx = connect("")) {
                tx.setAutoCommit(false);
                update(tx, "INSERT INTO " + T + " (id, c_text) VALUES (?, ?)", 21, "rolled back");
                update(tx, "UPDATE " + T + " SET c_int4 = 6 WHERE id = 20");
                expect(query(tx, "SELECT count(*) FROM " + T + " WHERE id = 21"), "[[1]]");
                tx.rollback();
                expect(query(tx, "SELECT count(*), sum(c_int4) FROM " + T + " WHERE id IN (20, 21)"), "[[1, 5]]");
            }
            expect(query(other, "SELECT count(*), sum(c_int4) FROM " + T + " WHERE id IN (20, 21)"), "[[1, 5]]");
        });

        step("serialization_retry", () -> {
            update(conn, "INSERT INTO " + T + " (id, c_int8) VALUES (30, 100)");
            try (Connection a = connect(""); Connection b = connect("")) {
                for (Connection c : new Connection[] {a, b}) {
                    c.setAutoCommit(false);
                    c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
                }
                List<String> failures = new ArrayList<>();
                for (int attempt = 0; attempt < 3; attempt++) {
                    try {
                        increment(a, attempt == 0 ? () -> increment(b, null) : null);
                        break;
                    } catch (SQLException e) {
                        if (!"40001".equals(e.getSQLState())) throw e;
                        failures.add(e.getSQLState());
                        a.rollback();
                    }
                }
                check(failures.equals(List.of("40001")), "serialization failures: " + failures);
            }
            expect(query(other, "SELECT c_int8 FROM " + T + " WHERE id = 30"), "[[102]]");
        });

        for (Connection c : cs) c.close();
        finish();
    }

    // Reads row 30 and writes it back plus one, in one serializable transaction.
    static void increment(Connection c, Step interfere) throws Exception {
        long value;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT c_int8 FROM " + T + " WHERE id = 30")) {
            check(rs.next(), "row 30 missing");
            value = rs.getLong(1);
        }
        if (interfere != null) interfere.run();
        update(c, "UPDATE " + T + " SET c_int8 = ? WHERE id = 30", value + 1);
        c.commit();
    }

    static void finish() {
        System.out.println("pgjdbc: " + ok + " steps passed, " + failed + " steps failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
