// One database connection for one thread: opened by Qt's QPSQL driver (a named QSqlDatabase),
// used through the driver's native PGconn with libpq's PQexecParams (text parameters, so arrays
// go as PostgreSQL array literals and nothing is spliced into SQL). Reopened on the next use when
// the connection was lost. Not thread-safe: the thread that created it is the only user.
#pragma once

#include <QMetaObject>
#include <QSqlDatabase>
#include <QString>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace lottery::server {

// A libpq result, cleared on destruction.
class PgResult
{
public:
    PgResult() = default;
    explicit PgResult(pg_result *result, bool ok) : m_result(result), m_ok(ok) { }
    PgResult(PgResult &&other) noexcept;
    PgResult &operator=(PgResult &&other) noexcept;
    PgResult(const PgResult &) = delete;
    PgResult &operator=(const PgResult &) = delete;
    ~PgResult();

    bool ok() const { return m_ok; }
    int rows() const;
    std::string text(int row, int column) const;
    quint64 unsignedInteger(int row, int column) const;
    int integer(int row, int column) const;
    bool boolean(int row, int column) const;

private:
    pg_result *m_result = nullptr;
    bool m_ok = false;
};

class PostgresConnection
{
public:
    explicit PostgresConnection(QString name);
    ~PostgresConnection();
    PostgresConnection(const PostgresConnection &) = delete;
    PostgresConnection &operator=(const PostgresConnection &) = delete;

    // A libpq conninfo (keyword=value pairs or a URI), checked by libpq's own parser and
    // rewritten as the keyword='value' pairs QPSQL appends to its connect string (it would turn
    // ';' into spaces, so a ';' in a value is refused). Defaults: connect_timeout 10 s,
    // keepalives after 10 s idle (3 x 5 s), tcp_user_timeout 30 s.
    static QString connectOptions(const QString &conninfo, QString *error);
    // The conninfo without a password value.
    static QString redacted(const QString &conninfo);

    // Opens if not open or if the connection was lost.
    bool ensureOpen(const QString &connectOptions);
    void closeAndRemove();
    void setFinishedHook(QMetaObject::Connection hook) { m_finishedHook = hook; }

    // Runs one statement with text parameters; false with lastError() on any error.
    bool command(const char *sql, const std::vector<std::string> &parameters = {});
    PgResult query(const char *sql, const std::vector<std::string> &parameters = {});
    // COPY ... FROM STDIN with `data` (COPY's text format); false with lastError().
    bool copyIn(const char *sql, std::string_view data);
    void rollback(); // ends an open transaction, if any (errors ignored: the point is to end it)

    QString lastError() const { return m_error; }
    // Not connected, or the connection broke (the next ensureOpen() reconnects).
    bool isLost() const;
    void setError(const QString &error) { m_error = error; }
    // "host:port, server version" of the connected server.
    QString serverDescription() const;

private:
    QString m_name;
    QSqlDatabase m_db;
    pg_conn *m_pg = nullptr;
    QString m_error;
    QMetaObject::Connection m_finishedHook;
};

} // namespace lottery::server
