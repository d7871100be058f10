#include "server/storage/postgres_connection.h"

#include <QHash>
#include <QSqlDriver>
#include <QSqlError>
#include <QVariant>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace lottery::server {

namespace {

QString trimmedMessage(const char *message)
{
    return QString::fromUtf8(message ? message : "").simplified();
}

// A conninfo value inside single quotes: backslash and quote escaped, as libpq reads them.
QString quoted(const char *value)
{
    QString out = QStringLiteral("'");
    for (const QChar c : QString::fromUtf8(value)) {
        if (c == u'\'' || c == u'\\')
            out += u'\\';
        out += c;
    }
    return out + u'\'';
}

struct OptionList {
    PQconninfoOption *options = nullptr;
    ~OptionList()
    {
        if (options)
            PQconninfoFree(options);
    }
};

bool parseConninfo(const QString &conninfo, OptionList *list, QString *error)
{
    char *message = nullptr;
    list->options = PQconninfoParse(conninfo.toUtf8().constData(), &message);
    if (!list->options) {
        *error = QStringLiteral("invalid database connection string: %1")
                     .arg(message ? trimmedMessage(message) : QStringLiteral("out of memory"));
        PQfreemem(message);
        return false;
    }
    return true;
}

} // namespace

PgResult::PgResult(PgResult &&other) noexcept
    : m_result(std::exchange(other.m_result, nullptr)), m_ok(other.m_ok)
{
}

PgResult &PgResult::operator=(PgResult &&other) noexcept
{
    if (this != &other) {
        if (m_result)
            PQclear(m_result);
        m_result = std::exchange(other.m_result, nullptr);
        m_ok = other.m_ok;
    }
    return *this;
}

PgResult::~PgResult()
{
    if (m_result)
        PQclear(m_result);
}

int PgResult::rows() const
{
    return m_result ? PQntuples(m_result) : 0;
}

std::string PgResult::text(int row, int column) const
{
    return std::string(PQgetvalue(m_result, row, column),
        static_cast<std::size_t>(PQgetlength(m_result, row, column)));
}

quint64 PgResult::unsignedInteger(int row, int column) const
{
    return std::strtoull(PQgetvalue(m_result, row, column), nullptr, 10);
}

int PgResult::integer(int row, int column) const
{
    return std::atoi(PQgetvalue(m_result, row, column));
}

bool PgResult::boolean(int row, int column) const
{
    return PQgetvalue(m_result, row, column)[0] == 't';
}

PostgresConnection::PostgresConnection(QString name) : m_name(std::move(name)) { }

PostgresConnection::~PostgresConnection()
{
    closeAndRemove();
}

QString PostgresConnection::connectOptions(const QString &conninfo, QString *error)
{
    if (conninfo.trimmed().isEmpty()) {
        *error = QStringLiteral("the database connection string is empty");
        return QString();
    }
    OptionList list;
    if (!parseConninfo(conninfo, &list, error))
        return QString();
    QStringList pairs;
    // Defaults for what the string does not set. A host that does not answer must not hold a
    // worker (or the start) for minutes, nor a peer that vanished without a reset (a network
    // partition) for TCP's two hours: keepalives answer for an idle connection, so a COMMIT
    // waiting for a synchronous standby is not cut short.
    QHash<QString, QString> defaults = {
        {QStringLiteral("connect_timeout"), QStringLiteral("10")},
        {QStringLiteral("keepalives_idle"), QStringLiteral("10")},
        {QStringLiteral("keepalives_interval"), QStringLiteral("5")},
        {QStringLiteral("keepalives_count"), QStringLiteral("3")},
        {QStringLiteral("tcp_user_timeout"), QStringLiteral("30000")},
    };
    for (const PQconninfoOption *option = list.options; option->keyword; ++option) {
        if (!option->val)
            continue;
        if (std::strchr(option->val, ';')) {
            // QPSQL turns every ';' of its connect options into a space.
            *error = QStringLiteral("the database connection string's %1 contains a ';', which "
                                    "Qt's PostgreSQL driver cannot pass on")
                         .arg(QLatin1String(option->keyword));
            return QString();
        }
        defaults.remove(QLatin1String(option->keyword));
        pairs.append(QLatin1String(option->keyword) + u'=' + quoted(option->val));
    }
    for (auto it = defaults.cbegin(); it != defaults.cend(); ++it)
        pairs.append(it.key() + QStringLiteral("='") + it.value() + u'\'');
    return pairs.join(u' ');
}

QString PostgresConnection::redacted(const QString &conninfo)
{
    OptionList list;
    QString error;
    if (!parseConninfo(conninfo, &list, &error))
        return QStringLiteral("(invalid connection string)");
    QStringList pairs;
    for (const PQconninfoOption *option = list.options; option->keyword; ++option) {
        if (!option->val)
            continue;
        const bool secret = std::strcmp(option->keyword, "password") == 0;
        pairs.append(QLatin1String(option->keyword) + u'='
            + (secret ? QStringLiteral("***") : QString::fromUtf8(option->val)));
    }
    return pairs.join(u' ');
}

bool PostgresConnection::ensureOpen(const QString &connectOptions)
{
    if (m_pg && m_db.isOpen() && PQstatus(m_pg) == CONNECTION_OK)
        return true;
    m_pg = nullptr;
    if (!m_db.isValid()) {
        m_db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_name);
        if (!m_db.isValid()) {
            m_error = QStringLiteral("Qt's PostgreSQL driver (QPSQL, package libqt6sql6-psql) "
                                     "is not available");
            return false;
        }
    }
    m_db.close();
    m_db.setConnectOptions(connectOptions);
    if (!m_db.open()) {
        const QSqlError error = m_db.lastError();
        m_error = QStringLiteral("cannot connect to the database: %1")
                      .arg(error.databaseText().isEmpty() ? error.text()
                                                          : error.databaseText().trimmed());
        m_error = m_error.simplified();
        return false;
    }
    const QVariant handle = m_db.driver()->handle();
    // Qt 6 names the type after libpq's struct tag; Qt 5 after the typedef.
    if (qstrcmp(handle.typeName(), "pg_conn*") != 0 && qstrcmp(handle.typeName(), "PGconn*") != 0) {
        m_error = QStringLiteral("Qt's PostgreSQL driver gave no native connection (%1)")
                      .arg(QLatin1String(handle.typeName()));
        m_db.close();
        return false;
    }
    m_pg = *static_cast<PGconn *const *>(handle.constData());
    return true;
}

void PostgresConnection::closeAndRemove()
{
    if (m_finishedHook)
        QObject::disconnect(m_finishedHook);
    m_pg = nullptr;
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
    }
}

PgResult PostgresConnection::query(const char *sql, const std::vector<std::string> &parameters)
{
    if (!m_pg) {
        m_error = QStringLiteral("not connected to the database");
        return PgResult();
    }
    std::vector<const char *> values;
    values.reserve(parameters.size());
    for (const std::string &parameter : parameters)
        values.push_back(parameter.c_str());
    PGresult *result = PQexecParams(
        m_pg, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
    const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok) {
        const QString message
            = trimmedMessage(result && *PQresultErrorMessage(result) ? PQresultErrorMessage(result)
                                                                     : PQerrorMessage(m_pg));
        m_error = PQstatus(m_pg) == CONNECTION_BAD
            ? QStringLiteral("connection to the database lost: %1").arg(message)
            : QStringLiteral("database error: %1").arg(message);
    } else if (std::strcmp(sql, "COMMIT") == 0 && std::strcmp(PQcmdStatus(result), "COMMIT") != 0) {
        // COMMIT of a transaction that had failed answers ROLLBACK, successfully.
        m_error = QStringLiteral("the transaction was rolled back");
        PQclear(result);
        return PgResult();
    }
    return PgResult(result, ok);
}

bool PostgresConnection::command(const char *sql, const std::vector<std::string> &parameters)
{
    return query(sql, parameters).ok();
}

bool PostgresConnection::copyIn(const char *sql, std::string_view data)
{
    if (!m_pg) {
        m_error = QStringLiteral("not connected to the database");
        return false;
    }
    const auto fail = [this](const char *message) {
        const QString text = trimmedMessage(message);
        m_error = PQstatus(m_pg) == CONNECTION_BAD
            ? QStringLiteral("connection to the database lost: %1").arg(text)
            : QStringLiteral("database error: %1").arg(text);
        return false;
    };
    PGresult *start = PQexec(m_pg, sql);
    const bool started = start && PQresultStatus(start) == PGRES_COPY_IN;
    if (!started) {
        const QString message
            = QString::fromUtf8(start && *PQresultErrorMessage(start) ? PQresultErrorMessage(start)
                                                                      : PQerrorMessage(m_pg));
        PQclear(start);
        return fail(message.toUtf8().constData());
    }
    PQclear(start);
    // Blocking connection: PQputCopyData returns 1 (queued) or -1; chunks keep each call small.
    constexpr std::size_t kChunk = 1 << 18;
    for (std::size_t offset = 0; offset < data.size(); offset += kChunk) {
        const std::size_t size = std::min(kChunk, data.size() - offset);
        if (PQputCopyData(m_pg, data.data() + offset, static_cast<int>(size)) != 1)
            return fail(PQerrorMessage(m_pg));
    }
    if (PQputCopyEnd(m_pg, nullptr) != 1)
        return fail(PQerrorMessage(m_pg));
    bool ok = true;
    QString message;
    while (PGresult *result = PQgetResult(m_pg)) {
        if (PQresultStatus(result) != PGRES_COMMAND_OK) {
            ok = false;
            message = QString::fromUtf8(PQresultErrorMessage(result));
        }
        PQclear(result);
    }
    if (!ok)
        return fail(message.isEmpty() ? PQerrorMessage(m_pg) : message.toUtf8().constData());
    return true;
}

bool PostgresConnection::isLost() const
{
    return !m_pg || PQstatus(m_pg) == CONNECTION_BAD;
}

void PostgresConnection::rollback()
{
    if (m_pg && PQstatus(m_pg) == CONNECTION_OK && PQtransactionStatus(m_pg) != PQTRANS_IDLE) {
        const QString error = m_error; // keep the reason for the caller
        PQclear(PQexec(m_pg, "ROLLBACK"));
        m_error = error;
    }
}

QString PostgresConnection::serverDescription() const
{
    if (!m_pg)
        return QString();
    return QStringLiteral("%1:%2 (PostgreSQL %3)")
        .arg(QString::fromUtf8(PQhost(m_pg)), QString::fromUtf8(PQport(m_pg)))
        .arg(PQserverVersion(m_pg));
}

} // namespace lottery::server
