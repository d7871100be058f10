// The real lottery-server with its admin endpoint, for the admin tests: started with
// `--port 0 --admin-port ...`, both ports read from its listen lines, optionally under a wrapper
// (strace).
#pragma once

#include "support/program_runner.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryFile>

#include <csignal>
#include <memory>

namespace lottery::testing {

inline QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A lottery-server child with the admin endpoint, optionally under a wrapper (strace).
class AdminServerProcess
{
public:
    AdminServerProcess() { m_environment = QProcessEnvironment::systemEnvironment(); }
    ~AdminServerProcess() { kill(); }

    void setEnvironment(const QString &name, const QString &value)
    {
        m_environment.insert(name, value);
    }

    // Starts and waits for both listen lines; false when the process exits first.
    bool start(const QStringList &arguments, const QStringList &wrapper = {})
    {
        m_process = std::make_unique<QProcess>();
        m_log = std::make_unique<QTemporaryFile>();
        if (!m_log->open())
            return false;
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->setStandardOutputFile(m_log->fileName());
        m_process->setProcessEnvironment(m_environment);
        QStringList all = wrapper;
        all << binaryPath(QStringLiteral("lottery-server")) << QStringLiteral("--port")
            << QStringLiteral("0") << arguments;
        m_process->start(all.takeFirst(), all);
        if (!m_process->waitForStarted(10000))
            return false;
        static const QRegularExpression listen(
            QStringLiteral("action: listen \\| result: success .*\\| port: (\\d+)"));
        static const QRegularExpression admin(QStringLiteral(
            "action: admin_listen \\| result: success \\| ip: [^ ]+ \\| port: (\\d+)"));
        QDeadlineTimer deadline(30000);
        while (!deadline.hasExpired()) {
            const QString text = QString::fromUtf8(output());
            const QRegularExpressionMatch listenMatch = listen.match(text);
            const QRegularExpressionMatch adminMatch = admin.match(text);
            if (listenMatch.hasMatch() && adminMatch.hasMatch()) {
                m_port = static_cast<quint16>(listenMatch.captured(1).toUInt());
                m_adminPort = static_cast<quint16>(adminMatch.captured(1).toUInt());
                return true;
            }
            if (m_process->state() == QProcess::NotRunning)
                return false;
            m_process->waitForFinished(20);
        }
        return false;
    }

    // Runs the program to its exit (a configuration it must refuse); -1 if it does not exit.
    int runToExit(const QStringList &arguments)
    {
        m_process = std::make_unique<QProcess>();
        m_log = std::make_unique<QTemporaryFile>();
        if (!m_log->open())
            return -1;
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->setStandardOutputFile(m_log->fileName());
        m_process->setProcessEnvironment(m_environment);
        m_process->start(binaryPath(QStringLiteral("lottery-server")), arguments);
        if (!m_process->waitForFinished(20000))
            return -1;
        return m_process->exitCode();
    }

    QByteArray output() const { return m_log ? readFile(m_log->fileName()) : QByteArray(); }
    int count(const QByteArray &needle) const { return static_cast<int>(output().count(needle)); }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }
    quint16 adminPort() const { return m_adminPort; }
    bool isRunning() const { return m_process && m_process->state() != QProcess::NotRunning; }

    // The lottery-server itself: under a wrapper (strace) it is the wrapper's child, and killing
    // only the wrapper would leave it running, detached.
    qint64 serverPid() const
    {
        const qint64 wrapper = m_process->processId();
        const QByteArray children
            = readFile(QStringLiteral("/proc/%1/task/%1/children").arg(wrapper)).trimmed();
        return children.isEmpty() ? wrapper : children.split(' ').constFirst().toLongLong();
    }
    void kill()
    {
        if (!isRunning())
            return;
        const qint64 server = serverPid();
        if (server != m_process->processId())
            ::kill(static_cast<pid_t>(server), SIGKILL);
        ::kill(static_cast<pid_t>(m_process->processId()), SIGKILL);
        m_process->waitForFinished(10000);
    }
    bool terminate(int timeoutMs)
    {
        if (!isRunning())
            return true;
        ::kill(static_cast<pid_t>(serverPid()), SIGTERM);
        QDeadlineTimer deadline(timeoutMs);
        while (isRunning() && !deadline.hasExpired())
            m_process->waitForFinished(20);
        return !isRunning();
    }

private:
    QProcessEnvironment m_environment;
    std::unique_ptr<QProcess> m_process;
    std::unique_ptr<QTemporaryFile> m_log;
    quint16 m_port = 0;
    quint16 m_adminPort = 0;
};

// Resident memory of a process (kB from /proc/PID/status), -1 when unreadable.
inline qint64 residentBytes(qint64 pid)
{
    const QByteArray status = readFile(QStringLiteral("/proc/%1/status").arg(pid));
    for (const QByteArray &line : status.split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return -1;
}

} // namespace lottery::testing
