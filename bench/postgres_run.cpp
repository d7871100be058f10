#include "postgres_run.h"

#include "server/storage/postgres_bet_store.h"

#include <QDir>
#include <QThread>

namespace lottery::bench {

namespace {

const QString kFloorDatabase = QStringLiteral("lottery_bench_floor");
const QString kSystemDatabase = QStringLiteral("lottery_bench_system");
// The agency's default batch size (agency::SessionOptions::batchMaxBets): the floor's rows are
// numbered as the agencies' batches number them.
constexpr int kAgencyDefaultBatch = 100;

// Waits until no client backend is connected to the database any more: a backend reports its
// counters (pg_stat_database) when it exits.
void waitForBackendsToExit(const QString &conninfo)
{
    QString error;
    for (int i = 0; i < 200 && !clientBackends(conninfo, &error).empty(); ++i)
        QThread::msleep(50); // no event tells us: poll the catalogue
}

} // namespace

PostgresRunResult runOnPostgres(const Dataset &dataset, const PostgresRunOptions &options)
{
    PostgresRunResult result;
    const QString floorInfo = options.adminConninfo + QStringLiteral(" dbname=") + kFloorDatabase;
    const QString systemInfo = options.adminConninfo + QStringLiteral(" dbname=") + kSystemDatabase;
    if (!recreateDatabase(options.adminConninfo, kFloorDatabase, &result.error)
        || !recreateDatabase(options.adminConninfo, kSystemDatabase, &result.error))
        return result;
    {
        // The floor loads into the store's own schema, made by the store itself.
        server::PostgresBetStore schema(floorInfo, 1);
        if (!schema.open()) {
            result.error = QStringLiteral("creating the schema: %1").arg(schema.errorString());
            return result;
        }
        schema.close();
    }
    const int batch = options.system.batchMax > 0 ? options.system.batchMax : kAgencyDefaultBatch;
    result.floor = measureCopyFloor(floorInfo, dataset, batch);
    if (!result.floor.ok) {
        result.error = QStringLiteral("COPY floor: %1").arg(result.floor.error);
        return result;
    }

    SystemOptions system = options.system;
    system.database = systemInfo;
    system.servers = options.servers;
    system.workDir = QDir(options.system.workDir).filePath(QStringLiteral("postgres"));
    if (!QDir().mkpath(system.workDir)) {
        result.error = QStringLiteral("cannot create %1").arg(system.workDir);
        return result;
    }
    QString backendError;
    system.beforeServersStop = [&] { result.backends = clientBackends(systemInfo, &backendError); };
    const std::optional<qint64> commitsBefore = committedTransactions(systemInfo, &result.error);
    if (!commitsBefore)
        return result;
    result.run = runSystem(dataset, system);
    if (!result.run.ok) {
        result.error = result.run.error;
        return result;
    }
    waitForBackendsToExit(systemInfo);
    QString error;
    if (const auto after = committedTransactions(systemInfo, &error))
        result.databaseCommits = *after - *commitsBefore;
    result.storedBets = queryNumber(systemInfo, "SELECT count(*) FROM bets", &error).value_or(-1);
    result.doubledBets = queryNumber(systemInfo,
        "SELECT count(*) FROM (SELECT 1 FROM bets GROUP BY agency, sequence, ordinal"
        " HAVING count(*) > 1) AS doubled",
        &error)
                             .value_or(-1);
    result.draws = queryNumber(systemInfo, "SELECT count(*) FROM draw", &error).value_or(-1);
    if (result.storedBets < 0 || result.doubledBets < 0 || result.draws < 0) {
        result.error = QStringLiteral("reading the results back: %1").arg(error);
        return result;
    }

    const qint64 expected = dataset.totalValidBets();
    if (result.floor.rows != expected)
        result.problems << QStringLiteral("the floor loaded %1 rows, the files have %2 valid")
                               .arg(result.floor.rows)
                               .arg(expected);
    if (result.storedBets != expected)
        result.problems << QStringLiteral("the database holds %1 bets, the files have %2 valid")
                               .arg(result.storedBets)
                               .arg(expected);
    if (result.doubledBets != 0)
        result.problems
            << QStringLiteral("%1 bets are stored more than once").arg(result.doubledBets);
    if (result.draws != 1 || result.run.draws != 1)
        result.problems << QStringLiteral("%1 draw rows, %2 instances recorded the draw")
                               .arg(result.draws)
                               .arg(result.run.draws);
    if (!backendError.isEmpty())
        result.problems << QStringLiteral("backends: %1").arg(backendError);
    int loaded = 0;
    for (const ServerResult &server : result.run.servers)
        loaded += server.bets > 0 ? 1 : 0;
    if (loaded < qMin(options.servers, static_cast<int>(dataset.files.size())))
        result.problems << QStringLiteral("only %1 of %2 instances stored bets")
                               .arg(loaded)
                               .arg(options.servers);
    result.ok = true;
    return result;
}

} // namespace lottery::bench
