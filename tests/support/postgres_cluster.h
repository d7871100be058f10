// Real PostgreSQL clusters for tests: initdb in a temporary folder, pg_ctl on a free loopback port
// with a unix socket directory of its own, password (scram-sha-256) authentication. PostgreSQL
// refuses to run as root, and CI runs as root: then every server-side command runs as the
// unprivileged `postgres` user (runuser), which owns the folder. No mocks: these are the
// postgres binaries of Debian's postgresql-15.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace lottery::testing {

class PostgresCluster
{
public:
    // The superuser the tests connect as, and its password (in the pass file, never on a
    // command line).
    static constexpr const char *kUser = "lottery";
    static constexpr const char *kPassword = "s3cret'pass\\word";
    static QString binDir(); // /usr/lib/postgresql/15/bin, or $LOTTERY_PG_BINDIR
    static bool available(QString *why); // the binaries exist (and `postgres` exists as root)

    // `host`: the loopback address it listens on (127.0.0.1, 127.0.0.2, ...). `name` is the
    // application_name a standby uses towards its primary.
    explicit PostgresCluster(
        QString host = QStringLiteral("127.0.0.1"), QString name = QStringLiteral("node1"));
    ~PostgresCluster(); // stops it (immediate) and removes the folder
    PostgresCluster(const PostgresCluster &) = delete;
    PostgresCluster &operator=(const PostgresCluster &) = delete;

    // initdb (scram-sha-256 for TCP, replication allowed from 127.0.0.0/8) and start.
    bool initPrimary();
    // pg_basebackup -R from `primary` and start as its streaming standby.
    bool initStandbyOf(const PostgresCluster &primary);
    // On a primary: make `standby` synchronous and wait until it is.
    bool makeSynchronous(const PostgresCluster &standby);

    bool start();
    bool stop(); // fast shutdown
    bool restartImmediate(); // pg_ctl restart -m immediate
    // kill -9 of the postmaster and every backend: what the loss of the machine looks like.
    void killHard();
    bool promote();
    bool isRunning() const;

    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    QString name() const { return m_name; }
    QString dataDir() const;
    QString lastError() const { return m_error; }

    // A libpq connection string for `database` (no password in it: see passFile()).
    QString connectionString(const QString &database = QStringLiteral("lottery")) const;
    // A pass file (0600) with the right password for every host, for PGPASSFILE or passfile=.
    QString passFile() const { return m_clientPassFile; }

    // psql -X -A -t -c `sql` over TCP; the output (trimmed) or a null QByteArray with
    // lastError() on failure.
    QByteArray psql(const QString &sql, const QString &database = QStringLiteral("lottery"));
    bool createDatabase(const QString &database);

    // The server log so far (for failure messages).
    QByteArray log() const;

private:
    bool run(const QString &program, const QStringList &arguments, bool asPostgres,
        QByteArray *output = nullptr, int timeoutMs = 120000);
    bool prepareFolder();
    QString serverOptions() const;
    qint64 postmasterPid() const;
    static quint16 freePort(const QString &host);

    QString m_host;
    QString m_name;
    quint16 m_port = 0;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_clientPassFile; // owned by the test process
    QString m_serverPassFile; // readable by the postgres user (pg_basebackup, the standby)
    QString m_error;
    bool m_started = false;
};

} // namespace lottery::testing
