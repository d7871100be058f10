#include "system_run.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QProcess>
#include <QProcessEnvironment>
#include <QThread>

#include <memory>

#include <sys/resource.h>

namespace lottery::bench {

namespace {

using LogFields = QHash<QString, QString>;

// The fields of the last `action: <action> | result: success` line of a log file.
std::optional<LogFields> lastSuccess(const QString &logPath, const QString &action)
{
    QFile log(logPath);
    if (!log.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArray marker = QStringLiteral("action: %1 | result: success").arg(action).toUtf8();
    std::optional<LogFields> found;
    while (!log.atEnd()) {
        const QByteArray line = log.readLine();
        if (!line.contains(marker))
            continue;
        LogFields fields;
        const QList<QByteArray> parts = line.trimmed().split('|');
        for (const QByteArray &part : parts) {
            const int colon = part.indexOf(':');
            if (colon < 0)
                continue;
            fields.insert(QString::fromUtf8(part.left(colon).trimmed()),
                QString::fromUtf8(part.mid(colon + 1).trimmed()));
        }
        found = fields;
    }
    return found;
}

// Waits for the server's `action: listen ... port: N` line.
quint16 waitForPort(const QString &logPath, QProcess &server, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired() && server.state() != QProcess::NotRunning) {
        if (const auto fields = lastSuccess(logPath, QStringLiteral("listen")))
            return static_cast<quint16>(fields->value(QStringLiteral("port")).toUInt());
        QThread::msleep(10); // polling a file: there is no event to wait for
    }
    return 0;
}

QString tail(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const qint64 size = file.size();
    file.seek(qMax<qint64>(0, size - 1500));
    return QString::fromUtf8(file.readAll());
}

// CPU time of the children waited for so far: QProcess reaps them, so the difference across a
// run is what the server and the agencies used (on a shared machine, steadier than wall time).
double childrenCpuSeconds()
{
    rusage usage = {};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    auto seconds = [](const timeval &t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

} // namespace

namespace {

// Stops a server with SIGTERM (it logs its statistics on the way out), or kills it.
void stopServer(QProcess &server)
{
    server.terminate();
    if (!server.waitForFinished(15000)) {
        server.kill();
        server.waitForFinished();
    }
}

QString serverLogName(int index, int servers)
{
    return servers == 1 ? QStringLiteral("server.log")
                        : QStringLiteral("server-%1.log").arg(index + 1);
}

} // namespace

SystemResult runSystem(const Dataset &dataset, const SystemOptions &options)
{
    SystemResult result;
    const QDir work(options.workDir);
    const int serverCount = qMax(1, options.servers);
    if (options.database.isEmpty() && serverCount > 1) {
        result.error = QStringLiteral("several instances need a database (--database)");
        return result;
    }
    QFile::remove(work.filePath(QStringLiteral("bets.csv")));
    QFile::remove(work.filePath(QStringLiteral("bets.csv.journal")));

    const double cpuBefore = childrenCpuSeconds();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("SERVER_IP"), QStringLiteral("127.0.0.1"));
    std::vector<std::unique_ptr<QProcess>> servers;
    QStringList addresses;
    for (int i = 0; i < serverCount; ++i) {
        const QString serverLog = work.filePath(serverLogName(i, serverCount));
        auto server = std::make_unique<QProcess>();
        server->setProcessEnvironment(environment);
        server->setWorkingDirectory(options.workDir); // no config.ini there: defaults and flags
        server->setStandardOutputFile(serverLog);
        server->setStandardErrorFile(serverLog, QIODevice::Append);
        QStringList serverArgs {QStringLiteral("--port"), QStringLiteral("0"),
            QStringLiteral("--agencies"), QString::number(dataset.files.size())};
        if (options.database.isEmpty())
            serverArgs << QStringLiteral("--storage") << work.filePath(QStringLiteral("bets.csv"));
        else
            serverArgs << QStringLiteral("--database") << options.database;
        if (options.workers > 0)
            serverArgs << QStringLiteral("--workers") << QString::number(options.workers);
        server->start(QDir(options.binDir).filePath(QStringLiteral("lottery-server")), serverArgs);
        // The database's schema is created by the first instance to get its lock: allow for it.
        const quint16 port = waitForPort(serverLog, *server, 30000);
        servers.push_back(std::move(server));
        if (port == 0) {
            for (auto &started : servers)
                stopServer(*started);
            result.error = QStringLiteral("server %1 did not report its port:\n%2")
                               .arg(i + 1)
                               .arg(tail(serverLog));
            return result;
        }
        addresses << QStringLiteral("127.0.0.1:%1").arg(port);
    }

    std::vector<std::unique_ptr<QProcess>> agencies;
    QElapsedTimer clock;
    clock.start();
    for (std::size_t index = 0; index < dataset.files.size(); ++index) {
        const AgencyFile &file = dataset.files[index];
        auto agency = std::make_unique<QProcess>();
        const QString log = work.filePath(QStringLiteral("agency-%1.log").arg(file.agency));
        agency->setWorkingDirectory(options.workDir);
        agency->setStandardOutputFile(log);
        agency->setStandardErrorFile(log, QIODevice::Append);
        // Every agency lists every instance, each starting with another: all carry load.
        QStringList order;
        for (int i = 0; i < serverCount; ++i)
            order << addresses[static_cast<int>(
                (index + static_cast<std::size_t>(i)) % static_cast<std::size_t>(serverCount))];
        QStringList args {QStringLiteral("--agency"), QString::number(file.agency),
            QStringLiteral("--server"), order.join(QLatin1Char(',')), QStringLiteral("--file"),
            file.path};
        if (options.window > 0)
            args << QStringLiteral("--window") << QString::number(options.window);
        if (options.batchMax > 0)
            args << QStringLiteral("--batch-max") << QString::number(options.batchMax);
        agency->start(QDir(options.binDir).filePath(QStringLiteral("agency-cli")), args);
        agencies.push_back(std::move(agency));
    }
    const QDeadlineTimer deadline(options.timeoutMs);
    bool allFinished = true;
    for (auto &agency : agencies) {
        if (!agency->waitForFinished(static_cast<int>(qMax<qint64>(1, deadline.remainingTime()))))
            allFinished = false;
    }
    result.seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
    for (auto &agency : agencies) {
        if (agency->state() != QProcess::NotRunning) {
            agency->kill();
            agency->waitForFinished();
        }
    }
    if (options.beforeServersStop)
        options.beforeServersStop();
    for (auto &server : servers)
        stopServer(*server);

    result.cpuSeconds = childrenCpuSeconds() - cpuBefore;
    for (std::size_t i = 0; i < dataset.files.size(); ++i) {
        const QProcess &process = *agencies[i];
        AgencyResult agency;
        agency.agency = dataset.files[i].agency;
        agency.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        const QString log = work.filePath(QStringLiteral("agency-%1.log").arg(agency.agency));
        if (const auto winners = lastSuccess(log, QStringLiteral("consulta_ganadores")))
            agency.winners = winners->value(QStringLiteral("cant_ganadores")).toLongLong();
        if (const auto summary = lastSuccess(log, QStringLiteral("resumen"))) {
            agency.batches = summary->value(QStringLiteral("lotes")).toLongLong();
            agency.ackP50Ms = summary->value(QStringLiteral("ack_p50_ms")).toDouble();
            agency.ackP99Ms = summary->value(QStringLiteral("ack_p99_ms")).toDouble();
            agency.peakRssKib = summary->value(QStringLiteral("vmhwm_kib")).toLongLong();
        }
        result.agencies.push_back(agency);
    }
    QString missingStatistics;
    for (int i = 0; i < serverCount; ++i) {
        const QString serverLog = work.filePath(serverLogName(i, serverCount));
        ServerResult server;
        if (const auto stats = lastSuccess(serverLog, QStringLiteral("estadisticas"))) {
            server.batches = stats->value(QStringLiteral("batches")).toLongLong();
            server.bets = stats->value(QStringLiteral("bets")).toLongLong();
            server.commits = stats->value(QStringLiteral("commits")).toLongLong();
            server.fsyncs = stats->value(QStringLiteral("fsyncs")).toLongLong();
            server.peakRssKib = stats->value(QStringLiteral("vmhwm_kib")).toLongLong();
        } else if (missingStatistics.isEmpty()) {
            missingStatistics = QStringLiteral("server %1 logged no statistics at shutdown:\n%2")
                                    .arg(i + 1)
                                    .arg(tail(serverLog));
        }
        // The file store's server logs `sorteo`; with a database, every instance reads the
        // winners (`sorteo`) and the one whose transaction recorded the draw says so once.
        const QString recorded = options.database.isEmpty() ? QStringLiteral("sorteo")
                                                            : QStringLiteral("sorteo_registrado");
        server.ranDraw = lastSuccess(serverLog, recorded).has_value();
        if (server.ranDraw)
            ++result.draws;
        if (const auto draw = lastSuccess(serverLog, QStringLiteral("sorteo"))) {
            result.drawBets = draw->value(QStringLiteral("cantidad")).toLongLong();
            if (draw->contains(QStringLiteral("duracion_ms")))
                result.drawSeconds = qMax(result.drawSeconds,
                    draw->value(QStringLiteral("duracion_ms")).toDouble() / 1000.0);
        }
        result.batches += server.batches;
        result.bets += server.bets;
        result.commits += server.commits;
        result.fsyncs += server.fsyncs;
        result.serverPeakRssKib = qMax(result.serverPeakRssKib, server.peakRssKib);
        result.servers.push_back(server);
    }
    if (!allFinished) {
        result.error
            = QStringLiteral("agencies still running after %1 s").arg(options.timeoutMs / 1000);
        return result;
    }
    if (!missingStatistics.isEmpty()) {
        result.error = missingStatistics;
        return result;
    }
    result.ok = true;
    return result;
}

} // namespace lottery::bench
