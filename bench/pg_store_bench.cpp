// lottery-pg-store-bench: PostgresBetStore's ingest against PostgreSQL's own floor, in one run.
//
//   lottery-pg-store-bench [--database CONNINFO] [--agencies K] [--bets M] [--batch N]
//                          [--task T] [--json]
//
// The floor: the same rows loaded with COPY into the same schema (one connection and one
// transaction per agency, all agencies at once, synchronous_commit = on). The store: K agency
// threads, each calling append() with tasks of T batches of N bets, as the server's workers do
// (one transaction per task), once with the bets as one COPY per task (the default) and once
// as one INSERT ... unnest(arrays) per batch. Each on a fresh database. Without
// --database it starts a scratch cluster (tests/support/postgres_cluster) with fsync on.
#include "common/process_stats.h"
#include "common/stored_bet_row.h"
#include "server/storage/postgres_bet_store.h"
#include "support/postgres_cluster.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTextStream>
#include <QThread>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <zlib.h>

using namespace lottery;
using namespace lottery::server;

namespace {

struct AgencyData {
    quint32 agency = 0;
    std::vector<protocol::Bet> bets;
};

std::vector<AgencyData> generate(int agencies, qint64 bets)
{
    std::vector<AgencyData> data(static_cast<std::size_t>(agencies));
    QRandomGenerator random(1);
    for (int a = 0; a < agencies; ++a) {
        data[a].agency = static_cast<quint32>(a + 1);
        data[a].bets.reserve(static_cast<std::size_t>(bets));
        for (qint64 i = 0; i < bets; ++i) {
            data[a].bets.push_back(protocol::Bet {"Nombre" + std::to_string(random.bounded(5000)),
                "Apellido" + std::to_string(random.bounded(5000)),
                std::to_string(20000000 + random.bounded(30000000)),
                QStringLiteral("19%1-%2-%3")
                    .arg(50 + random.bounded(50))
                    .arg(1 + random.bounded(12), 2, 10, QLatin1Char('0'))
                    .arg(1 + random.bounded(28), 2, 10, QLatin1Char('0'))
                    .toStdString(),
                static_cast<std::uint16_t>(random.bounded(10000))});
        }
    }
    return data;
}

struct Result {
    QString error;
    double seconds = 0;
    quint64 commits = 0;
    double p99Ms = 0;
};

// The floor: one COPY per agency, in parallel, one commit each.
Result copyFloor(const QString &conninfo, const std::vector<AgencyData> &data, int batch)
{
    Result result;
    std::vector<QString> errors(data.size());
    std::vector<std::unique_ptr<QThread>> threads;
    QElapsedTimer clock;
    clock.start();
    for (std::size_t a = 0; a < data.size(); ++a) {
        threads.emplace_back(QThread::create([&, a] {
            PGconn *pg = PQconnectdb(conninfo.toUtf8().constData());
            const auto fail = [&](const char *what) {
                errors[a] = QStringLiteral("%1: %2").arg(
                    QLatin1String(what), QString::fromUtf8(PQerrorMessage(pg)).simplified());
            };
            if (PQstatus(pg) != CONNECTION_OK) {
                fail("connect");
                PQfinish(pg);
                return;
            }
            PQclear(PQexec(pg, "SET synchronous_commit = on"));
            PQclear(PQexec(pg, "BEGIN"));
            PGresult *copy = PQexec(pg, PostgresBetStore::kCopyBetsStatement);
            const bool started = PQresultStatus(copy) == PGRES_COPY_IN;
            PQclear(copy);
            if (!started) {
                fail("COPY");
                PQfinish(pg);
                return;
            }
            std::string chunk;
            const std::string agency = std::to_string(data[a].agency);
            const auto &bets = data[a].bets;
            const std::size_t perBatch = static_cast<std::size_t>(batch);
            std::string prefix;
            for (std::size_t i = 0; i < bets.size(); ++i) {
                if (i % perBatch == 0)
                    prefix = agency + '\t' + std::to_string(i / perBatch + 1) + '\t';
                PostgresBetStore::appendCopyRow(
                    chunk, prefix, i % perBatch + 1, protocol::BetView(bets[i]));
                if (chunk.size() > (1 << 16)) {
                    PQputCopyData(pg, chunk.data(), static_cast<int>(chunk.size()));
                    chunk.clear();
                }
            }
            PQputCopyData(pg, chunk.data(), static_cast<int>(chunk.size()));
            PQputCopyEnd(pg, nullptr);
            PGresult *end = PQgetResult(pg);
            const bool copied = PQresultStatus(end) == PGRES_COMMAND_OK;
            PQclear(end);
            while (PGresult *more = PQgetResult(pg))
                PQclear(more);
            PGresult *commit = PQexec(pg, "COMMIT");
            if (!copied || PQresultStatus(commit) != PGRES_COMMAND_OK)
                fail("COPY/COMMIT");
            PQclear(commit);
            PQfinish(pg);
        }));
        threads.back()->start();
    }
    for (auto &thread : threads)
        thread->wait();
    result.seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
    result.commits = data.size();
    for (const QString &error : errors) {
        if (!error.isEmpty())
            result.error = error;
    }
    return result;
}

// The store, as the server's workers drive it.
Result storeRun(const QString &conninfo, const std::vector<AgencyData> &data, int batch, int task,
    PostgresBetStore::BetsInsert insert, BetStore::Stats *stats)
{
    Result result;
    PostgresBetStore store(conninfo, static_cast<quint32>(data.size()), insert);
    if (!store.open()) {
        result.error = store.errorString();
        return result;
    }
    std::vector<std::vector<double>> latencies(data.size());
    std::vector<QString> errors(data.size());
    std::vector<std::unique_ptr<QThread>> threads;
    QElapsedTimer clock;
    clock.start();
    for (std::size_t a = 0; a < data.size(); ++a) {
        threads.emplace_back(QThread::create([&, a] {
            const quint32 agency = data[a].agency;
            const auto &bets = data[a].bets;
            std::vector<std::string> csv;
            std::vector<BatchToStore> batches;
            quint64 sequence = 0;
            for (std::size_t start = 0; start < bets.size();) {
                batches.clear();
                csv.assign(static_cast<std::size_t>(task), std::string());
                for (int b = 0; b < task && start < bets.size(); ++b) {
                    const std::size_t end
                        = std::min(bets.size(), start + static_cast<std::size_t>(batch));
                    BatchToStore out;
                    out.sequence = ++sequence;
                    for (std::size_t i = start; i < end; ++i) {
                        appendStoredBetRow(csv[b], agency, bets[i]);
                        out.bets.emplace_back(bets[i]);
                        if (protocol::isWinner(bets[i]))
                            out.winners.push_back(bets[i].document);
                    }
                    out.betCount = static_cast<quint32>(end - start);
                    out.csvRows = csv[b];
                    out.crc = static_cast<quint32>(
                        ::crc32(0L, reinterpret_cast<const Bytef *>(csv[b].data()),
                            static_cast<uInt>(csv[b].size())));
                    batches.push_back(std::move(out));
                    start = end;
                }
                QElapsedTimer call;
                call.start();
                const auto decisions = store.append(agency, batches);
                latencies[a].push_back(static_cast<double>(call.nsecsElapsed()) / 1e6);
                for (const BatchDecision &decision : decisions) {
                    if (decision.kind != BatchDecision::Kind::Stored) {
                        errors[a] = decision.error;
                        return;
                    }
                }
            }
            store.markDone(agency);
        }));
        threads.back()->start();
    }
    for (auto &thread : threads)
        thread->wait();
    result.seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
    *stats = store.stats();
    result.commits = stats->commits;
    std::vector<double> all;
    for (const auto &list : latencies)
        all.insert(all.end(), list.begin(), list.end());
    std::sort(all.begin(), all.end());
    if (!all.empty())
        result.p99Ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    for (const QString &error : errors) {
        if (!error.isEmpty())
            result.error = error;
    }
    const DrawResult draw = store.draw();
    if (!draw.completed && result.error.isEmpty())
        result.error = QStringLiteral("no draw: %1").arg(draw.error);
    store.close();
    return result;
}

bool createDatabase(const QString &adminConninfo, const QString &name, QString *error)
{
    PGconn *pg = PQconnectdb(adminConninfo.toUtf8().constData());
    bool ok = PQstatus(pg) == CONNECTION_OK;
    if (ok) {
        PQclear(PQexec(pg, QStringLiteral("DROP DATABASE IF EXISTS %1").arg(name).toUtf8()));
        PGresult *created
            = PQexec(pg, QStringLiteral("CREATE DATABASE %1").arg(name).toUtf8().constData());
        ok = PQresultStatus(created) == PGRES_COMMAND_OK;
        PQclear(created);
    }
    if (!ok)
        *error = QString::fromUtf8(PQerrorMessage(pg)).simplified();
    PQfinish(pg);
    return ok;
}

int fail(const QString &message)
{
    std::fprintf(stderr, "lottery-pg-store-bench: %s\n", qPrintable(message));
    return 1;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("PostgresBetStore against COPY into the same schema, in one run."));
    parser.addHelpOption();
    const QCommandLineOption database(QStringLiteral("database"),
        QStringLiteral("libpq conninfo of a maintenance database (default: a scratch cluster); "
                       "the bench creates lottery_bench_floor and lottery_bench_store."),
        QStringLiteral("conninfo"));
    const QCommandLineOption agencies(
        QStringLiteral("agencies"), QStringLiteral("Agencies (default 5)."), QStringLiteral("K"));
    const QCommandLineOption bets(QStringLiteral("bets"),
        QStringLiteral("Bets per agency (default 1000000)."), QStringLiteral("M"));
    const QCommandLineOption batch(QStringLiteral("batch"),
        QStringLiteral("Bets per batch (default 150)."), QStringLiteral("N"));
    const QCommandLineOption task(QStringLiteral("task"),
        QStringLiteral("Batches per append() (default 64, the server's)."), QStringLiteral("T"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("One JSON object."));
    parser.addOptions({database, agencies, bets, batch, task, json});
    parser.process(app);
    const int k = parser.isSet(agencies) ? parser.value(agencies).toInt() : 5;
    const qint64 m = parser.isSet(bets) ? parser.value(bets).toLongLong() : 1000000;
    const int n = parser.isSet(batch) ? parser.value(batch).toInt() : 150;
    const int t = parser.isSet(task) ? parser.value(task).toInt() : 64;
    if (k < 1 || m < 1 || n < 1 || n > 65535 || t < 1)
        return fail(QStringLiteral("--agencies, --bets, --batch and --task must be positive"));

    std::unique_ptr<testing::PostgresCluster> cluster;
    QString admin = parser.value(database);
    if (admin.isEmpty()) {
        cluster = std::make_unique<testing::PostgresCluster>();
        if (!cluster->initPrimary())
            return fail(cluster->lastError());
        qputenv("PGPASSFILE", cluster->passFile().toLocal8Bit());
        admin = cluster->connectionString(QStringLiteral("postgres"));
    }
    QString error;
    const QString floorDb = QStringLiteral("lottery_bench_floor");
    const QString storeDb = QStringLiteral("lottery_bench_store");
    const QString unnestDb = QStringLiteral("lottery_bench_unnest");
    if (!createDatabase(admin, floorDb, &error) || !createDatabase(admin, storeDb, &error)
        || !createDatabase(admin, unnestDb, &error))
        return fail(error);
    const QString floorInfo = admin + QStringLiteral(" dbname=") + floorDb;
    const QString storeInfo = admin + QStringLiteral(" dbname=") + storeDb;
    {
        PostgresBetStore schema(floorInfo, 1); // the same schema for the floor
        if (!schema.open())
            return fail(schema.errorString());
        schema.close();
    }

    const std::vector<AgencyData> data = generate(k, m);
    const qint64 rssAfterData = lottery::peakResidentKib();
    const Result floor = copyFloor(floorInfo, data, n);
    if (!floor.error.isEmpty())
        return fail(QStringLiteral("floor: %1").arg(floor.error));
    BetStore::Stats stats;
    const Result store
        = storeRun(storeInfo, data, n, t, PostgresBetStore::BetsInsert::Copy, &stats);
    if (!store.error.isEmpty())
        return fail(QStringLiteral("store: %1").arg(store.error));
    BetStore::Stats unnestStats;
    const Result unnest = storeRun(admin + QStringLiteral(" dbname=") + unnestDb, data, n, t,
        PostgresBetStore::BetsInsert::Unnest, &unnestStats);
    if (!unnest.error.isEmpty())
        return fail(QStringLiteral("store (unnest): %1").arg(unnest.error));
    const double total = static_cast<double>(k) * static_cast<double>(m);
    const double ratio = store.seconds / floor.seconds;

    QTextStream out(stdout);
    if (parser.isSet(json)) {
        const QJsonObject object {{QStringLiteral("agencies"), k}, {QStringLiteral("bets"), total},
            {QStringLiteral("batch"), n}, {QStringLiteral("task"), t},
            {QStringLiteral("floor_seconds"), floor.seconds},
            {QStringLiteral("floor_bets_per_second"), total / floor.seconds},
            {QStringLiteral("store_seconds"), store.seconds},
            {QStringLiteral("store_bets_per_second"), total / store.seconds},
            {QStringLiteral("ratio_to_floor"), ratio},
            {QStringLiteral("store_commits"), static_cast<qint64>(store.commits)},
            {QStringLiteral("store_batches"), static_cast<qint64>(stats.batches)},
            {QStringLiteral("append_p99_ms"), store.p99Ms},
            {QStringLiteral("unnest_seconds"), unnest.seconds},
            {QStringLiteral("unnest_ratio_to_floor"), unnest.seconds / floor.seconds},
            {QStringLiteral("unnest_append_p99_ms"), unnest.p99Ms},
            {QStringLiteral("bench_peak_rss_kib"), lottery::peakResidentKib()},
            {QStringLiteral("bench_rss_after_data_kib"), rssAfterData}};
        out << QJsonDocument(object).toJson(QJsonDocument::Compact) << Qt::endl;
    } else {
        out << QStringLiteral("bets               %1 (%2 agencies, batches of %3, %4 per task)\n")
                   .arg(total, 0, 'f', 0)
                   .arg(k)
                   .arg(n)
                   .arg(t);
        out << QStringLiteral("floor (COPY)       %1 s, %2 bets/s, %3 commits\n")
                   .arg(floor.seconds, 0, 'f', 3)
                   .arg(total / floor.seconds, 0, 'f', 0)
                   .arg(floor.commits);
        out << QStringLiteral("store, COPY        %1 s, %2 bets/s, %3 commits, %4 batches\n")
                   .arg(store.seconds, 0, 'f', 3)
                   .arg(total / store.seconds, 0, 'f', 0)
                   .arg(store.commits)
                   .arg(stats.batches);
        out << QStringLiteral("ratio to floor     %1x (append() p99 %2 ms)\n")
                   .arg(ratio, 0, 'f', 2)
                   .arg(store.p99Ms, 0, 'f', 1);
        out << QStringLiteral("store, unnest      %1 s, %2 bets/s, %3x the floor (append() p99 "
                              "%4 ms)\n")
                   .arg(unnest.seconds, 0, 'f', 3)
                   .arg(total / unnest.seconds, 0, 'f', 0)
                   .arg(unnest.seconds / floor.seconds, 0, 'f', 2)
                   .arg(unnest.p99Ms, 0, 'f', 1);
        out << QStringLiteral("bench peak RSS     %1 MiB (data alone %2 MiB)\n")
                   .arg(lottery::peakResidentKib() / 1024.0, 0, 'f', 1)
                   .arg(rssAfterData / 1024.0, 0, 'f', 1);
    }
    return 0;
}
