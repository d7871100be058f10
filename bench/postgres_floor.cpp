#include "postgres_floor.h"

#include "common/process_stats.h"
#include "server/storage/postgres_bet_store.h"

#include <QElapsedTimer>
#include <QFile>
#include <QThread>

#include <libpq-fe.h>

#include <memory>
#include <string>

namespace lottery::bench {

namespace {

// One libpq connection, finished on every path.
class Connection
{
public:
    explicit Connection(const QString &conninfo) : m_pg(PQconnectdb(conninfo.toUtf8().constData()))
    {
    }
    ~Connection() { PQfinish(m_pg); }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    bool ok() const { return PQstatus(m_pg) == CONNECTION_OK; }
    PGconn *get() const { return m_pg; }
    QString error(const char *what) const
    {
        return QStringLiteral("%1: %2").arg(
            QLatin1String(what), QString::fromUtf8(PQerrorMessage(m_pg)).simplified());
    }

private:
    PGconn *m_pg;
};

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Result exec(const Connection &connection, const char *sql)
{
    return Result(PQexec(connection.get(), sql), &PQclear);
}

// The COPY text of one agency's file: the rows the agency would send, numbered as its batches
// of `batchBets` would number them.
bool copyRows(
    const AgencyFile &file, int batchBets, std::string &rows, qint64 &count, QString *error)
{
    rows.reserve(static_cast<std::size_t>(file.bytes) * 6 / 5);
    const std::string agency = std::to_string(file.agency) + '\t';
    std::string prefix;
    qint64 valid = 0;
    qint64 invalid = 0;
    const bool read = forEachValidBet(
        file.path,
        [&](const protocol::BetView &bet) {
            const qint64 ordinal = valid % batchBets + 1;
            if (ordinal == 1)
                prefix = agency + std::to_string(valid / batchBets + 1) + '\t';
            server::PostgresBetStore::appendCopyRow(
                rows, prefix, static_cast<std::size_t>(ordinal), bet);
            ++valid;
        },
        &invalid, error);
    count = valid;
    return read;
}

} // namespace

bool recreateDatabase(const QString &adminConninfo, const QString &name, QString *error)
{
    const Connection admin(adminConninfo);
    if (!admin.ok()) {
        *error = admin.error("connect");
        return false;
    }
    exec(admin, "SET client_min_messages = warning"); // no NOTICE for a missing database
    exec(admin, QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(name).toUtf8());
    const Result created
        = exec(admin, QStringLiteral("CREATE DATABASE %1").arg(name).toUtf8().constData());
    if (PQresultStatus(created.get()) != PGRES_COMMAND_OK) {
        *error = admin.error("CREATE DATABASE");
        return false;
    }
    return true;
}

std::optional<qint64> queryNumber(const QString &conninfo, const char *sql, QString *error)
{
    const Connection db(conninfo);
    if (!db.ok()) {
        *error = db.error("connect");
        return std::nullopt;
    }
    const Result result = exec(db, sql);
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) < 1) {
        *error = db.error(sql);
        return std::nullopt;
    }
    return QByteArray(PQgetvalue(result.get(), 0, 0)).toLongLong();
}

std::optional<qint64> committedTransactions(const QString &conninfo, QString *error)
{
    return queryNumber(conninfo,
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", error);
}

std::vector<BackendMemory> clientBackends(const QString &conninfo, QString *error)
{
    std::vector<BackendMemory> backends;
    const Connection db(conninfo);
    if (!db.ok()) {
        *error = db.error("connect");
        return backends;
    }
    const Result result = exec(db,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY pid");
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
        *error = db.error("pg_stat_activity");
        return backends;
    }
    for (int row = 0; row < PQntuples(result.get()); ++row) {
        const qint64 pid = QByteArray(PQgetvalue(result.get(), row, 0)).toLongLong();
        backends.push_back(BackendMemory {pid, lottery::peakResidentKib(pid)});
    }
    return backends;
}

CopyFloorResult measureCopyFloor(const QString &conninfo, const Dataset &dataset, int batchBets)
{
    CopyFloorResult result;
    const std::size_t agencies = dataset.files.size();
    std::vector<std::string> rows(agencies);
    for (std::size_t a = 0; a < agencies; ++a) {
        qint64 count = 0;
        if (!copyRows(dataset.files[a], batchBets, rows[a], count, &result.error))
            return result;
        result.rows += count;
    }
    // Connected before the clock starts, as the servers' connections are.
    const QString floorInfo = conninfo + QStringLiteral(" options='-c synchronous_commit=on'");
    std::vector<std::unique_ptr<Connection>> connections;
    for (std::size_t a = 0; a < agencies; ++a) {
        connections.push_back(std::make_unique<Connection>(floorInfo));
        if (!connections.back()->ok()) {
            result.error = connections.back()->error("connect");
            return result;
        }
    }

    std::vector<QString> errors(agencies);
    std::vector<std::unique_ptr<QThread>> threads;
    QElapsedTimer clock;
    clock.start();
    for (std::size_t a = 0; a < agencies; ++a) {
        threads.emplace_back(QThread::create([&, a] {
            const Connection &db = *connections[a];
            if (PQresultStatus(exec(db, "BEGIN").get()) != PGRES_COMMAND_OK
                || PQresultStatus(exec(db, server::PostgresBetStore::kCopyBetsStatement).get())
                    != PGRES_COPY_IN) {
                errors[a] = db.error("COPY");
                return;
            }
            constexpr std::size_t kChunk = 1 << 20;
            const std::string &text = rows[a];
            bool sent = true;
            for (std::size_t at = 0; sent && at < text.size(); at += kChunk) {
                const std::size_t size = std::min(kChunk, text.size() - at);
                sent = PQputCopyData(db.get(), text.data() + at, static_cast<int>(size)) == 1;
            }
            sent = PQputCopyEnd(db.get(), sent ? nullptr : "send failed") == 1 && sent;
            bool copied = sent;
            while (PGresult *end = PQgetResult(db.get())) {
                copied = copied && PQresultStatus(end) == PGRES_COMMAND_OK;
                PQclear(end);
            }
            if (!copied || PQresultStatus(exec(db, "COMMIT").get()) != PGRES_COMMAND_OK)
                errors[a] = db.error("COPY/COMMIT");
        }));
        threads.back()->start();
    }
    for (auto &thread : threads)
        thread->wait();
    result.seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
    for (const auto &connection : connections) {
        const qint64 pid = PQbackendPID(connection->get());
        result.backends.push_back(BackendMemory {pid, lottery::peakResidentKib(pid)});
    }
    connections.clear();
    for (const QString &failure : errors) {
        if (!failure.isEmpty()) {
            result.error = failure;
            return result;
        }
    }
    result.commits = static_cast<qint64>(agencies); // one COMMIT each, all returned
    result.ok = true;
    return result;
}

} // namespace lottery::bench
