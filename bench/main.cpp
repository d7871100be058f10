// lottery-bench: ingest throughput of the real system against the raw floor of the same machine.
//
//   lottery-bench [--agencies K] [--bets M] [--dataset DIR] [--keep] [--json] ...
//   lottery-bench --postgres | --database CONNINFO [--servers N] ...
//
// Generates K agency files of M bets (or takes DIR/agency-N.csv), measures the raw floor (the same
// bytes through K loopback connections into one file, one fdatasync, no parsing), then runs the
// real lottery-server and K agency-cli processes and times them from the agencies' start until
// every agency has its winners. Checks each agency's winner count against the files and prints
// the figures and our time as a multiple of the floor. Exit code 0 only when everything is right.
//
// With --postgres (a scratch cluster, only in builds with the tests: it uses their harness) or
// --database CONNINFO (an existing cluster's maintenance database), the same run then measures
// PostgreSQL's own floor (the same rows loaded with COPY into the store's schema) and the whole
// system on PostgreSQL: N lottery-server instances (default 2) sharing one database, every agency
// listing all of them, each starting with another (postgres_run.h).
#include "dataset.h"
#include "postgres_run.h"
#include "raw_floor.h"
#include "system_run.h"

#include "common/log.h"

#ifdef LOTTERY_BENCH_SCRATCH_CLUSTER
#include "support/postgres_cluster.h"
#endif

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>
#include <cstdio>
#include <memory>

using namespace lottery::bench;

namespace {

struct BenchOptions {
    int agencies = 5;
    qint64 bets = 1000000;
    quint64 seed = 1;
    QString dataset;
    QString workDir;
    bool keep = false;
    bool json = false;
    bool postgres = false; // the PostgreSQL run too
    QString database; // its maintenance conninfo; empty with `postgres`: a scratch cluster
    int servers = 2;
    SystemOptions system;
};

bool parseOptions(BenchOptions &options, QString *error)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs lottery-server and K agency-cli on loopback and compares them with the raw floor."));
    parser.addHelpOption();
    const QCommandLineOption agencies(QStringLiteral("agencies"),
        QStringLiteral("Agencies (default 5; with --dataset: every agency-N.csv found)."),
        QStringLiteral("K"));
    const QCommandLineOption bets(QStringLiteral("bets"),
        QStringLiteral("Bets per generated file (default 1000000)."), QStringLiteral("M"));
    const QCommandLineOption seed(
        QStringLiteral("seed"), QStringLiteral("Generator seed (default 1)."), QStringLiteral("S"));
    const QCommandLineOption dataset(QStringLiteral("dataset"),
        QStringLiteral("Use DIR/agency-N.csv instead of generating files."), QStringLiteral("DIR"));
    const QCommandLineOption work(QStringLiteral("work"),
        QStringLiteral("Work directory (default: a temporary one)."), QStringLiteral("DIR"));
    const QCommandLineOption keep(
        QStringLiteral("keep"), QStringLiteral("Keep the work directory (files, logs, bets.csv)."));
    const QCommandLineOption json(
        QStringLiteral("json"), QStringLiteral("Print the results as one JSON object."));
    const QCommandLineOption bin(QStringLiteral("bin"),
        QStringLiteral("Directory of lottery-server, agency-cli, lottery-datagen (default: "
                       "this program's)."),
        QStringLiteral("DIR"));
    const QCommandLineOption window(QStringLiteral("window"),
        QStringLiteral("Agency window of unacknowledged batches (default: the agency's)."),
        QStringLiteral("N"));
    const QCommandLineOption batchMax(QStringLiteral("batch-max"),
        QStringLiteral("Bets per batch (default: the agency's)."), QStringLiteral("N"));
    const QCommandLineOption workers(QStringLiteral("workers"),
        QStringLiteral("Server pool threads (default: the server's)."), QStringLiteral("N"));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
        QStringLiteral("Seconds the agencies get (default 600)."), QStringLiteral("S"));
    const QCommandLineOption postgres(QStringLiteral("postgres"),
        QStringLiteral("Also run on PostgreSQL, against its COPY floor, on a scratch cluster "
                       "(initdb in a temporary folder; builds with the tests only)."));
    const QCommandLineOption database(QStringLiteral("database"),
        QStringLiteral("Also run on PostgreSQL, on this cluster: a libpq connection string to a "
                       "maintenance database (password from PGPASSWORD or a pass file); the "
                       "bench (re)creates lottery_bench_floor and lottery_bench_system there."),
        QStringLiteral("CONNINFO"));
    const QCommandLineOption servers(QStringLiteral("servers"),
        QStringLiteral("lottery-server instances on PostgreSQL (default 2)."), QStringLiteral("N"));
    parser.addOptions({agencies, bets, seed, dataset, work, keep, json, bin, window, batchMax,
        workers, timeout, postgres, database, servers});
    parser.process(*QCoreApplication::instance());

    auto number = [&](const QCommandLineOption &option, qint64 min, qint64 max, qint64 &value) {
        if (!parser.isSet(option))
            return true;
        bool ok = false;
        value = parser.value(option).toLongLong(&ok);
        if (!ok || value < min || value > max) {
            *error = QStringLiteral("--%1: '%2' is not a number in %3..%4")
                         .arg(option.names().constFirst(), parser.value(option))
                         .arg(min)
                         .arg(max);
            return false;
        }
        return true;
    };
    qint64 k = parser.isSet(dataset) ? 0 : 5, m = options.bets, s = 1, w = 0, b = 0, t = 600,
           pool = 0, instances = 2;
    if (!number(agencies, 1, 1000, k) || !number(bets, 0, 100000000, m)
        || !number(seed, 0, INT64_MAX, s) || !number(window, 1, 1024, w)
        || !number(batchMax, 1, 65535, b) || !number(timeout, 1, 86400, t)
        || !number(workers, 1, 10, pool) || !number(servers, 1, 8, instances))
        return false;
    if (parser.isSet(postgres) && parser.isSet(database)) {
        *error = QStringLiteral("--postgres (a scratch cluster) and --database (this one) "
                                "exclude each other");
        return false;
    }
    options.postgres = parser.isSet(postgres) || parser.isSet(database);
    options.database = parser.value(database);
    // The bench appends dbname=... for its own databases: that needs the keyword form.
    if (options.database.startsWith(QLatin1String("postgres"))) {
        *error = QStringLiteral("--database: give the keyword=value form (host=... user=...), "
                                "not a URI: the bench adds dbname= for its own databases");
        return false;
    }
    options.servers = static_cast<int>(instances);
#ifndef LOTTERY_BENCH_SCRATCH_CLUSTER
    if (parser.isSet(postgres)) {
        *error = QStringLiteral("--postgres needs a build with the tests (it starts a scratch "
                                "cluster with their harness): give --database CONNINFO");
        return false;
    }
#endif
    if (parser.isSet(servers) && !options.postgres) {
        *error = QStringLiteral("--servers: several instances need --postgres or --database");
        return false;
    }
    options.agencies = static_cast<int>(k);
    options.bets = m;
    options.seed = static_cast<quint64>(s);
    // Absolute paths: the agencies run in the work directory, where a relative one means nothing.
    if (parser.isSet(dataset))
        options.dataset = QFileInfo(parser.value(dataset)).absoluteFilePath();
    if (parser.isSet(work))
        options.workDir = QFileInfo(parser.value(work)).absoluteFilePath();
    options.keep = parser.isSet(keep);
    options.json = parser.isSet(json);
    options.system.binDir = parser.isSet(bin) ? QFileInfo(parser.value(bin)).absoluteFilePath()
                                              : QCoreApplication::applicationDirPath();
    options.system.window = static_cast<int>(w);
    options.system.batchMax = static_cast<int>(b);
    options.system.workers = static_cast<int>(pool);
    options.system.timeoutMs = static_cast<int>(t * 1000);
    return true;
}

int fail(const QString &message)
{
    std::fprintf(stderr, "lottery-bench: %s\n", qPrintable(message));
    return 1;
}

QString kib(qint64 value)
{
    return value < 0 ? QStringLiteral("?")
                     : QStringLiteral("%1 MiB").arg(value / 1024.0, 0, 'f', 1);
}

// Every agency exited as expected and got exactly the winners of its file; the worst ack
// latencies and the largest agency's peak RSS on the way.
struct AgencyCheck {
    QStringList problems;
    double p50 = 0;
    double p99 = 0;
    qint64 peakRssKib = 0;
};

AgencyCheck checkAgencies(const Dataset &dataset, const SystemResult &run)
{
    AgencyCheck check;
    for (std::size_t i = 0; i < dataset.files.size(); ++i) {
        const AgencyFile &file = dataset.files[i];
        const AgencyResult &agency = run.agencies[i];
        const int expectedExit = file.invalidRows > 0 ? 2 : 0;
        if (agency.exitCode != expectedExit)
            check.problems << QStringLiteral("agency %1 exited with %2, expected %3")
                                  .arg(file.agency)
                                  .arg(agency.exitCode)
                                  .arg(expectedExit);
        if (agency.winners != file.winners)
            check.problems << QStringLiteral("agency %1 got %2 winners, its file has %3")
                                  .arg(file.agency)
                                  .arg(agency.winners)
                                  .arg(file.winners);
        check.p50 = std::max(check.p50, agency.ackP50Ms);
        check.p99 = std::max(check.p99, agency.ackP99Ms);
        check.peakRssKib = std::max(check.peakRssKib, agency.peakRssKib);
    }
    if (run.bets != dataset.totalValidBets())
        check.problems << QStringLiteral("the servers stored %1 bets, the files have %2 valid ones")
                              .arg(run.bets)
                              .arg(dataset.totalValidBets());
    if (run.drawBets != dataset.totalValidBets())
        check.problems << QStringLiteral("the draw read %1 bets, expected %2")
                              .arg(run.drawBets)
                              .arg(dataset.totalValidBets());
    return check;
}

QJsonArray backendsJson(const std::vector<BackendMemory> &backends)
{
    QJsonArray array;
    for (const BackendMemory &backend : backends)
        array.append(QJsonObject {{QStringLiteral("pid"), backend.pid},
            {QStringLiteral("peak_rss_kib"), backend.peakRssKib}});
    return array;
}

QString backendsText(const std::vector<BackendMemory> &backends)
{
    qint64 largest = -1;
    for (const BackendMemory &backend : backends)
        largest = std::max(largest, backend.peakRssKib);
    return QStringLiteral("%1 (largest %2)").arg(backends.size()).arg(kib(largest));
}

// The PostgreSQL part of the report: the COPY floor, the instances, the database's own checks.
QJsonObject postgresJson(
    const Dataset &dataset, const PostgresRunResult &pg, const AgencyCheck &agencies)
{
    const double bets = static_cast<double>(dataset.totalValidBets());
    QJsonArray servers;
    for (const ServerResult &server : pg.run.servers)
        servers.append(QJsonObject {{QStringLiteral("bets"), server.bets},
            {QStringLiteral("batches"), server.batches},
            {QStringLiteral("commits"), server.commits},
            {QStringLiteral("recorded_draw"), server.ranDraw},
            {QStringLiteral("peak_rss_kib"), server.peakRssKib}});
    QJsonArray agencyRss;
    for (const AgencyResult &agency : pg.run.agencies)
        agencyRss.append(agency.peakRssKib);
    return QJsonObject {
        {QStringLiteral("copy_floor_seconds"), pg.floor.seconds},
        {QStringLiteral("copy_floor_bets_per_second"), bets / pg.floor.seconds},
        {QStringLiteral("copy_floor_commits"), pg.floor.commits},
        {QStringLiteral("copy_floor_backends"), backendsJson(pg.floor.backends)},
        {QStringLiteral("seconds"), pg.run.seconds},
        {QStringLiteral("cpu_seconds"), pg.run.cpuSeconds},
        {QStringLiteral("bets_per_second"), bets / pg.run.seconds},
        {QStringLiteral("ratio_to_copy_floor"), pg.run.seconds / pg.floor.seconds},
        {QStringLiteral("store_commits"), pg.run.commits},
        {QStringLiteral("database_commits"), pg.databaseCommits},
        {QStringLiteral("batches"), pg.run.batches},
        {QStringLiteral("ack_p50_ms"), agencies.p50},
        {QStringLiteral("ack_p99_ms"), agencies.p99},
        {QStringLiteral("draw_seconds"), pg.run.drawSeconds},
        {QStringLiteral("servers"), servers},
        {QStringLiteral("agency_peak_rss_kib"), agencyRss},
        {QStringLiteral("backends"), backendsJson(pg.backends)},
        {QStringLiteral("stored_bets"), pg.storedBets},
        {QStringLiteral("doubled_bets"), pg.doubledBets},
        {QStringLiteral("draws"), pg.draws},
        {QStringLiteral("correct"), agencies.problems.isEmpty() && pg.problems.isEmpty()},
        {QStringLiteral("problems"), QJsonArray::fromStringList(agencies.problems + pg.problems)},
    };
}

void printPostgres(QTextStream &out, const Dataset &dataset, const PostgresRunResult &pg,
    const AgencyCheck &agencies, const SystemResult &fileRun, const AgencyCheck &fileAgencies)
{
    const double bets = static_cast<double>(dataset.totalValidBets());
    out << QStringLiteral("\nPostgreSQL (the same bets, the same run)\n");
    out << QStringLiteral("%1 %2 %3 %4 %5 %6\n")
               .arg(QStringLiteral(""), -30)
               .arg(QStringLiteral("wall s"), 9)
               .arg(QStringLiteral("bets/s"), 10)
               .arg(QStringLiteral("x COPY"), 7)
               .arg(QStringLiteral("commits"), 8)
               .arg(QStringLiteral("ack p99 ms"), 11);
    const auto row = [&](const QString &name, double seconds, qint64 commits, double p99) {
        out << QStringLiteral("%1 %2 %3 %4 %5 %6\n")
                   .arg(name, -30)
                   .arg(seconds, 9, 'f', 3)
                   .arg(bets / seconds, 10, 'f', 0)
                   .arg(seconds / pg.floor.seconds, 7, 'f', 2)
                   .arg(commits, 8)
                   .arg(p99 < 0 ? QStringLiteral("-") : QString::number(p99, 'f', 1), 11);
    };
    row(QStringLiteral("COPY floor, 1 txn per agency"), pg.floor.seconds, pg.floor.commits, -1);
    row(QStringLiteral("%1 servers on PostgreSQL").arg(pg.run.servers.size()), pg.run.seconds,
        pg.run.commits, agencies.p99);
    row(QStringLiteral("file store, 1 server"), fileRun.seconds, fileRun.commits, fileAgencies.p99);
    out << QStringLiteral("database commits   %1 (pg_stat_database over the run, reads too)\n")
               .arg(pg.databaseCommits);
    for (std::size_t i = 0; i < pg.run.servers.size(); ++i) {
        const ServerResult &server = pg.run.servers[i];
        out << QStringLiteral("server %1           %2 bets, %3 commits, peak RSS %4%5\n")
                   .arg(i + 1)
                   .arg(server.bets)
                   .arg(server.commits)
                   .arg(kib(server.peakRssKib), server.ranDraw ? QStringLiteral(", drew") : "");
    }
    QStringList agencyRss;
    for (const AgencyResult &agency : pg.run.agencies)
        agencyRss << kib(agency.peakRssKib);
    out << QStringLiteral("agencies peak RSS  %1\n").arg(agencyRss.join(QStringLiteral(", ")));
    out << QStringLiteral("postgres backends  of the servers: %1; of the floor: %2 (VmHWM, shared "
                          "buffers included)\n")
               .arg(backendsText(pg.backends), backendsText(pg.floor.backends));
    out << QStringLiteral("database           %1 bets stored, %2 doubled, %3 draw row(s)\n")
               .arg(pg.storedBets)
               .arg(pg.doubledBets)
               .arg(pg.draws);
    const QStringList problems = agencies.problems + pg.problems;
    out << QStringLiteral("correct            %1\n")
               .arg(problems.isEmpty() ? QStringLiteral("yes") : QStringLiteral("NO"));
    for (const QString &problem : problems)
        out << "  " << problem << '\n';
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("lottery-bench"));
    // stdout is the report: the store the PostgreSQL run makes its schema with logs nothing
    // there (its errors come back through errorString()).
    lottery::setLogOutputEnabled(false);
    BenchOptions options;
    QString error;
    if (!parseOptions(options, &error))
        return fail(error);

    std::unique_ptr<QTemporaryDir> temporary;
    if (options.workDir.isEmpty()) {
        temporary = std::make_unique<QTemporaryDir>(
            QDir::temp().filePath(QStringLiteral("lottery-bench-XXXXXX")));
        if (!temporary->isValid())
            return fail(QStringLiteral("cannot create a temporary directory"));
        temporary->setAutoRemove(!options.keep);
        options.workDir = temporary->path();
    } else if (!QDir().mkpath(options.workDir)) {
        return fail(QStringLiteral("cannot create %1").arg(options.workDir));
    }
    options.system.workDir = options.workDir;
    QTextStream err(stderr);
    err << "lottery-bench: work directory " << options.workDir << Qt::endl;

    QString dataDir = options.dataset;
    if (dataDir.isEmpty()) {
        dataDir = QDir(options.workDir).filePath(QStringLiteral("data"));
        if (!generateDataset(options.system.binDir, dataDir, options.agencies, options.bets,
                options.seed, &error))
            return fail(error);
    }
    const Dataset dataset = scanDataset(dataDir, options.agencies);
    if (!dataset.ok)
        return fail(dataset.error);

    // The PostgreSQL cluster first: a cluster that cannot start fails the run before it begins.
    QString adminConninfo = options.database;
#ifdef LOTTERY_BENCH_SCRATCH_CLUSTER
    std::unique_ptr<lottery::testing::PostgresCluster> cluster;
    if (options.postgres && adminConninfo.isEmpty()) {
        QString why;
        if (!lottery::testing::PostgresCluster::available(&why))
            return fail(QStringLiteral("--postgres: %1").arg(why));
        cluster = std::make_unique<lottery::testing::PostgresCluster>();
        if (!cluster->initPrimary())
            return fail(QStringLiteral("--postgres: %1").arg(cluster->lastError()));
        // The servers inherit it: the password never appears on a command line.
        qputenv("PGPASSFILE", cluster->passFile().toLocal8Bit());
        adminConninfo = cluster->connectionString(QStringLiteral("postgres"));
        err << "lottery-bench: scratch cluster on " << cluster->host() << ':' << cluster->port()
            << Qt::endl;
    }
#endif

    // The floor first: it also brings the files into the page cache for the real run.
    const RawFloorResult floor = measureRawFloor(
        dataset.paths(), QDir(options.workDir).filePath(QStringLiteral("floor.bin")));
    QFile::remove(QDir(options.workDir).filePath(QStringLiteral("floor.bin")));
    if (!floor.ok)
        return fail(QStringLiteral("raw floor: %1").arg(floor.error));
    const SystemResult run = runSystem(dataset, options.system);
    if (!run.ok)
        return fail(run.error);

    PostgresRunResult pg;
    AgencyCheck pgCheck;
    if (options.postgres) {
        PostgresRunOptions pgOptions;
        pgOptions.adminConninfo = adminConninfo;
        pgOptions.system = options.system;
        pgOptions.servers = options.servers;
        pg = runOnPostgres(dataset, pgOptions);
        if (!pg.ok)
            return fail(QStringLiteral("PostgreSQL: %1").arg(pg.error));
        pgCheck = checkAgencies(dataset, pg.run);
    }
    const bool pgCorrect = pgCheck.problems.isEmpty() && pg.problems.isEmpty();

    // Correctness: every agency exited as expected and got exactly the winners of its file.
    const AgencyCheck fileCheck = checkAgencies(dataset, run);
    const QStringList &problems = fileCheck.problems;
    const double p50 = fileCheck.p50, p99 = fileCheck.p99;
    const qint64 agencyRss = fileCheck.peakRssKib;
    const bool correct = problems.isEmpty();
    const double ratio = floor.seconds > 0 ? run.seconds / floor.seconds : 0;
    const double megabytes = static_cast<double>(dataset.totalBytes()) / 1e6;
    qint64 winners = 0;
    for (const AgencyFile &file : dataset.files)
        winners += file.winners;

    QTextStream out(stdout);
    if (options.json) {
        QJsonObject object {
            {QStringLiteral("agencies"), static_cast<int>(dataset.files.size())},
            {QStringLiteral("bets"), run.bets},
            {QStringLiteral("bytes"), dataset.totalBytes()},
            {QStringLiteral("seconds"), run.seconds},
            {QStringLiteral("cpu_seconds"), run.cpuSeconds},
            {QStringLiteral("bets_per_second"), run.bets / run.seconds},
            {QStringLiteral("megabytes_per_second"), megabytes / run.seconds},
            {QStringLiteral("floor_seconds"), floor.seconds},
            {QStringLiteral("ratio_to_floor"), ratio},
            {QStringLiteral("batches"), run.batches},
            {QStringLiteral("commits"), run.commits},
            {QStringLiteral("fsyncs"), run.fsyncs},
            {QStringLiteral("ack_p50_ms"), p50},
            {QStringLiteral("ack_p99_ms"), p99},
            {QStringLiteral("draw_seconds"), run.drawSeconds},
            {QStringLiteral("server_peak_rss_kib"), run.serverPeakRssKib},
            {QStringLiteral("agency_peak_rss_kib"), agencyRss},
            {QStringLiteral("winners"), winners},
            {QStringLiteral("winners_correct"), correct},
            {QStringLiteral("problems"), QJsonArray::fromStringList(problems)},
        };
        if (options.postgres)
            object.insert(QStringLiteral("postgres"), postgresJson(dataset, pg, pgCheck));
        out << QJsonDocument(object).toJson(QJsonDocument::Compact) << Qt::endl;
    } else {
        out << QStringLiteral("agencies           %1 (%2 valid bets, %3 MB)\n")
                   .arg(dataset.files.size())
                   .arg(dataset.totalValidBets())
                   .arg(megabytes, 0, 'f', 1);
        out << QStringLiteral("wall               %1 s\n").arg(run.seconds, 0, 'f', 3);
        out << QStringLiteral("cpu (all programs) %1 s (%2 us per bet)\n")
                   .arg(run.cpuSeconds, 0, 'f', 2)
                   .arg(run.bets > 0 ? run.cpuSeconds * 1e6 / static_cast<double>(run.bets) : 0.0,
                       0, 'f', 2);
        out << QStringLiteral("throughput         %1 bets/s, %2 MB/s\n")
                   .arg(run.bets / run.seconds, 0, 'f', 0)
                   .arg(megabytes / run.seconds, 0, 'f', 1);
        out << QStringLiteral("raw floor          %1 s (%2 MB/s)\n")
                   .arg(floor.seconds, 0, 'f', 3)
                   .arg(megabytes / floor.seconds, 0, 'f', 1);
        out << QStringLiteral("ratio to floor     %1x\n").arg(ratio, 0, 'f', 2);
        out << QStringLiteral("batches            %1 (commits %2, fdatasyncs %3)\n")
                   .arg(run.batches)
                   .arg(run.commits)
                   .arg(run.fsyncs);
        out << QStringLiteral("ack latency        p50 %1 ms, p99 %2 ms (worst agency)\n")
                   .arg(p50, 0, 'f', 2)
                   .arg(p99, 0, 'f', 2);
        out << QStringLiteral("draw               %1 s\n").arg(run.drawSeconds, 0, 'f', 3);
        out << QStringLiteral("peak RSS           server %1, largest agency %2\n")
                   .arg(kib(run.serverPeakRssKib), kib(agencyRss));
        out << QStringLiteral("winners            %1 (%2)\n")
                   .arg(winners)
                   .arg(correct ? QStringLiteral("correct") : QStringLiteral("WRONG"));
        for (const QString &problem : problems)
            out << "  " << problem << '\n';
        if (options.postgres)
            printPostgres(out, dataset, pg, pgCheck, run, fileCheck);
        out.flush();
    }
    if (options.keep)
        err << "lottery-bench: kept " << options.workDir << Qt::endl;
    return correct && pgCorrect ? 0 : 1;
}
