// Runs the real programs (lottery-server, agency-cli) for integration tests and reads their logs.
#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryFile>

#include <memory>
#include <vector>

namespace lottery::testing {

QString binaryPath(const QString &name);

// A lottery-server child process on 127.0.0.1 with a kernel-chosen port.
class ServerProcess
{
public:
    ServerProcess();
    ~ServerProcess();

    // Starts the server and waits for its `action: listen` line. Extra arguments go last.
    bool start(int agencies, const QString &storagePath, const QStringList &extraArguments = {});
    // Runs the server under `wrapper` (e.g. strace with fault injection), set before start().
    // terminate() and kill() then signal the server itself, the wrapper's child.
    void setWrapper(const QStringList &wrapper) { m_wrapper = wrapper; }
    quint16 port() const { return m_port; }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }

    // All output so far (stdout and stderr merged).
    QByteArray output();
    int countLines(const QByteArray &needle);

    // The server's pid, its resident memory now (VmRSS, KiB; -1 when it is gone) and the port
    // of its operator console (its `admin_listen` line; 0 when there is none).
    qint64 processId() const { return serverPid(); }
    qint64 residentKib() const;
    quint16 adminPort();

    bool terminate(int timeoutMs = 10000); // SIGTERM, wait; true when it exited
    void kill(); // SIGKILL, wait
    bool isRunning() const;
    int exitCode() const;
    QProcess::ExitStatus exitStatus() const;

private:
    // The server's pid: the wrapper's child when there is a wrapper.
    qint64 serverPid() const;

    QProcess m_process;
    QStringList m_wrapper;
    QTemporaryFile m_log; // output goes to a file: a full pipe would block the child
    quint16 m_port = 0;
};

// An agency-cli child process.
class AgencyProcess
{
public:
    AgencyProcess();
    ~AgencyProcess();

    void start(int agency, const QString &serverAddress, const QString &file,
        const QStringList &extraArguments = {});
    bool waitForFinished(int timeoutMs);
    bool isRunning() const;
    int exitCode() const;
    QProcess::ExitStatus exitStatus() const;
    QByteArray output();
    void terminate();
    qint64 processId() const { return m_process.processId(); }

    // The N of the last `action: consulta_ganadores | result: success | cant_ganadores: N`, or -1.
    int reportedWinners();

private:
    QProcess m_process;
    QTemporaryFile m_log;
};

// Rows of `agency` in a bets.csv (the server's storage): lines that start with "N,".
int countStoredRows(const QString &betsCsv, int agency);

// Winners per agency file, counted independently of the programs: rows whose last field is 7574.
int countWinnersInFile(const QString &path);
QStringList winnerDocumentsInFile(const QString &path);

// Writes a deterministic agency file of `bets` valid rows (CRLF), every `winnerEvery`th a winner.
// False (with a warning) when the file cannot be written: the caller QVERIFYs it.
[[nodiscard]] bool writeAgencyFile(const QString &path, int agency, int bets, int winnerEvery);

} // namespace lottery::testing
