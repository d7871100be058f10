#include "program_runner.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <csignal>

namespace lottery::testing {

QString binaryPath(const QString &name)
{
    return QStringLiteral(LOTTERY_BIN_DIR) + QLatin1Char('/') + name;
}

namespace {

// Children write to a file rather than a pipe: a pipe nobody drains fills up and blocks the child.
void sendOutputTo(QProcess &process, QTemporaryFile &log)
{
    if (!log.open())
        qFatal("cannot create a log file for a child process");
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setStandardOutputFile(log.fileName());
}

QByteArray readWholeFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

ServerProcess::ServerProcess()
{
    sendOutputTo(m_process, m_log);
}

ServerProcess::~ServerProcess()
{
    if (isRunning())
        kill();
}

bool ServerProcess::start(int agencies, const QString &storagePath, const QStringList &extra)
{
    QStringList arguments {QStringLiteral("--port"), QStringLiteral("0"),
        QStringLiteral("--agencies"), QString::number(agencies), QStringLiteral("--storage"),
        storagePath};
    arguments += extra;
    if (m_wrapper.isEmpty()) {
        m_process.start(binaryPath(QStringLiteral("lottery-server")), arguments);
    } else {
        const QStringList wrapped = m_wrapper.mid(1)
            + QStringList {binaryPath(QStringLiteral("lottery-server"))} + arguments;
        m_process.start(m_wrapper.front(), wrapped);
    }
    if (!m_process.waitForStarted(10000))
        return false;
    static const QRegularExpression listenLine(
        QStringLiteral("action: listen \\| result: success .*\\| port: (\\d+)"));
    QDeadlineTimer deadline(20000);
    while (!deadline.hasExpired()) {
        const QRegularExpressionMatch match = listenLine.match(QString::fromUtf8(output()));
        if (match.hasMatch()) {
            m_port = static_cast<quint16>(match.captured(1).toUInt());
            return true;
        }
        if (m_process.state() == QProcess::NotRunning)
            return false;
        m_process.waitForFinished(50);
    }
    return false;
}

QByteArray ServerProcess::output()
{
    return readWholeFile(m_log.fileName());
}

int ServerProcess::countLines(const QByteArray &needle)
{
    return static_cast<int>(output().count(needle));
}

qint64 ServerProcess::serverPid() const
{
    const qint64 pid = m_process.processId();
    if (m_wrapper.isEmpty())
        return pid;
    QFile children(QStringLiteral("/proc/%1/task/%1/children").arg(pid));
    if (!children.open(QIODevice::ReadOnly))
        return pid;
    const qint64 child = children.readAll().trimmed().split(' ').value(0).toLongLong();
    return child > 0 ? child : pid;
}

qint64 ServerProcess::residentKib() const
{
    QFile status(QStringLiteral("/proc/%1/status").arg(serverPid()));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

quint16 ServerProcess::adminPort()
{
    static const QRegularExpression adminLine(
        QStringLiteral("action: admin_listen \\| result: success .*\\| port: (\\d+)"));
    const QRegularExpressionMatch match = adminLine.match(QString::fromUtf8(output()));
    return match.hasMatch() ? static_cast<quint16>(match.captured(1).toUInt()) : 0;
}

bool ServerProcess::terminate(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning)
        return true;
    // Under a wrapper (strace) the server's own exit status becomes the wrapper's.
    ::kill(static_cast<pid_t>(serverPid()), SIGTERM);
    const bool finished = m_process.waitForFinished(timeoutMs);
    output();
    return finished;
}

void ServerProcess::kill()
{
    if (!m_wrapper.isEmpty() && m_process.state() != QProcess::NotRunning)
        ::kill(static_cast<pid_t>(serverPid()), SIGKILL);
    m_process.kill();
    m_process.waitForFinished(10000);
    output();
}

bool ServerProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

int ServerProcess::exitCode() const
{
    return m_process.exitCode();
}

QProcess::ExitStatus ServerProcess::exitStatus() const
{
    return m_process.exitStatus();
}

AgencyProcess::AgencyProcess()
{
    sendOutputTo(m_process, m_log);
}

AgencyProcess::~AgencyProcess()
{
    if (isRunning()) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

void AgencyProcess::start(
    int agency, const QString &serverAddress, const QString &file, const QStringList &extra)
{
    QStringList arguments {QStringLiteral("--agency"), QString::number(agency),
        QStringLiteral("--server"), serverAddress, QStringLiteral("--file"), file};
    arguments += extra;
    m_process.start(binaryPath(QStringLiteral("agency-cli")), arguments);
}

bool AgencyProcess::waitForFinished(int timeoutMs)
{
    // Poll so that other children's pipes keep draining meanwhile.
    QDeadlineTimer deadline(timeoutMs);
    while (m_process.state() != QProcess::NotRunning && !deadline.hasExpired())
        m_process.waitForFinished(50);
    output();
    return m_process.state() == QProcess::NotRunning;
}

bool AgencyProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

int AgencyProcess::exitCode() const
{
    return m_process.exitCode();
}

QProcess::ExitStatus AgencyProcess::exitStatus() const
{
    return m_process.exitStatus();
}

QByteArray AgencyProcess::output()
{
    return readWholeFile(m_log.fileName());
}

void AgencyProcess::terminate()
{
    ::kill(static_cast<pid_t>(m_process.processId()), SIGTERM);
}

int AgencyProcess::reportedWinners()
{
    static const QRegularExpression line(QStringLiteral(
        "action: consulta_ganadores \\| result: success .*\\| cant_ganadores: (\\d+)"));
    int result = -1;
    auto it = line.globalMatch(QString::fromUtf8(output()));
    while (it.hasNext())
        result = it.next().captured(1).toInt();
    return result;
}

QStringList winnerDocumentsInFile(const QString &path)
{
    QStringList documents;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return documents;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        const QList<QByteArray> fields = line.split(',');
        if (fields.size() == 5 && fields[4] == "7574")
            documents << QString::fromUtf8(fields[2]);
    }
    return documents;
}

int countStoredRows(const QString &betsCsv, int agency)
{
    QFile file(betsCsv);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    // One read and a search, not a line at a time: the soak's bets.csv (tens of MB) is counted for
    // 16 agencies (a line at a time took 5-8 s per agency under AddressSanitizer).
    const QByteArray prefix = QByteArray::number(agency) + ',';
    const QByteArray rows = file.readAll();
    return (rows.startsWith(prefix) ? 1 : 0) + static_cast<int>(rows.count('\n' + prefix));
}

int countWinnersInFile(const QString &path)
{
    return static_cast<int>(winnerDocumentsInFile(path).size());
}

bool writeAgencyFile(const QString &path, int agency, int bets, int winnerEvery)
{
    static const char *const kFirstNames[] = {"José", "María", "Ñandú", "Zoë", "Ana Lía"};
    static const char *const kLastNames[] = {"Núñez", "Muñoz", "Pérez", "O'Brien", "Gómez"};
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        qWarning("cannot write %s: %s", qPrintable(path), qPrintable(file.errorString()));
        return false;
    }
    for (int i = 0; i < bets; ++i) {
        const int number = (winnerEvery > 0 && i % winnerEvery == winnerEvery - 1) ? 7574
            : (i * 37 + agency) % 10000 == 7574                                    ? 7575
                                                : (i * 37 + agency) % 10000;
        const QByteArray row = QByteArray(kFirstNames[i % 5]) + ',' + kLastNames[(i / 5) % 5] + ','
            + QByteArray::number(agency * 10000000 + i) + ',' + QByteArray::number(1950 + i % 50)
            + "-0" + QByteArray::number(1 + i % 9) + "-1" + QByteArray::number(i % 9) + ','
            + QByteArray::number(number) + "\r\n";
        if (file.write(row) != row.size()) {
            qWarning("cannot write %s: %s", qPrintable(path), qPrintable(file.errorString()));
            return false;
        }
    }
    return file.flush();
}

} // namespace lottery::testing
