#include "postgres_cluster.h"
#include "free_port.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTcpServer>
#include <QThread>

#include <csignal>
#include <grp.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

namespace lottery::testing {

namespace {

bool runningAsRoot()
{
    return ::geteuid() == 0;
}

// The pass file format escapes ':' and '\' with a backslash.
QString passFileField(const QString &value)
{
    QString out;
    for (const QChar c : value) {
        if (c == u':' || c == u'\\')
            out += u'\\';
        out += c;
    }
    return out;
}

bool writeFile(const QString &path, const QByteArray &bytes, QFile::Permissions permissions)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    const bool ok = file.write(bytes) == bytes.size();
    file.close();
    return ok && file.setPermissions(permissions);
}

bool chownToPostgres(const QString &path)
{
    const passwd *user = ::getpwnam("postgres");
    if (!user)
        return false;
    return ::chown(path.toLocal8Bit().constData(), user->pw_uid, user->pw_gid) == 0;
}

} // namespace

QString PostgresCluster::binDir()
{
    const QByteArray custom = qgetenv("LOTTERY_PG_BINDIR");
    return custom.isEmpty() ? QStringLiteral("/usr/lib/postgresql/15/bin")
                            : QString::fromLocal8Bit(custom);
}

bool PostgresCluster::available(QString *why)
{
    if (!QFileInfo(binDir() + QStringLiteral("/initdb")).isExecutable()) {
        *why = QStringLiteral("no initdb in %1 (install postgresql-15)").arg(binDir());
        return false;
    }
    if (runningAsRoot() && !::getpwnam("postgres")) {
        *why = QStringLiteral("running as root and there is no `postgres` user to run initdb as");
        return false;
    }
    return true;
}

PostgresCluster::PostgresCluster(QString host, QString name)
    : m_host(std::move(host)), m_name(std::move(name))
{
}

PostgresCluster::~PostgresCluster()
{
    if (m_started && isRunning()) {
        run(binDir() + QStringLiteral("/pg_ctl"),
            {QStringLiteral("stop"), QStringLiteral("-D"), dataDir(), QStringLiteral("-m"),
                QStringLiteral("immediate"), QStringLiteral("-w")},
            true, nullptr, 30000);
    }
}

QString PostgresCluster::dataDir() const
{
    return m_dir ? m_dir->path() + QStringLiteral("/data") : QString();
}

quint16 PostgresCluster::freePort(const QString &host)
{
    return testsupport::portOutsideEphemeralRange(QHostAddress(host));
}

bool PostgresCluster::run(const QString &program, const QStringList &arguments, bool asPostgres,
    QByteArray *output, int timeoutMs)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("PGPASSFILE"),
        asPostgres && runningAsRoot() ? m_serverPassFile : m_clientPassFile);
    environment.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    environment.remove(QStringLiteral("PGPASSWORD"));
    process.setProcessEnvironment(environment);
    if (m_dir)
        process.setWorkingDirectory(m_dir->path());
    if (asPostgres && runningAsRoot()) {
        process.start(QStringLiteral("runuser"),
            QStringList {
                QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--"), program}
                + arguments);
    } else {
        process.start(program, arguments);
    }
    if (!process.waitForStarted(10000)) {
        m_error = QStringLiteral("cannot start %1: %2").arg(program, process.errorString());
        return false;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(5000);
        m_error = QStringLiteral("%1 did not finish within %2 ms").arg(program).arg(timeoutMs);
        return false;
    }
    const QByteArray text = process.readAll();
    if (output)
        *output = text;
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        m_error = QStringLiteral("%1 %2 failed (exit %3): %4")
                      .arg(QFileInfo(program).fileName(), arguments.join(u' '))
                      .arg(process.exitCode())
                      .arg(QString::fromLocal8Bit(text));
        return false;
    }
    return true;
}

bool PostgresCluster::prepareFolder()
{
    m_dir
        = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/lottery-pg-XXXXXX"));
    if (!m_dir->isValid()) {
        m_error = QStringLiteral("cannot create a temporary folder");
        return false;
    }
    m_port = freePort(m_host);
    if (m_port == 0) {
        m_error = QStringLiteral("cannot find a free port on %1").arg(m_host);
        return false;
    }
    const QString root = m_dir->path();
    QDir(root).mkpath(QStringLiteral("socket"));
    QDir(root).mkpath(QStringLiteral("client"));
    const QByteArray line = QStringLiteral("*:*:*:%1:%2\n")
                                .arg(QLatin1String(kUser), passFileField(QLatin1String(kPassword)))
                                .toUtf8();
    m_clientPassFile = root + QStringLiteral("/client/pgpass");
    m_serverPassFile = root + QStringLiteral("/server-pgpass");
    const QFile::Permissions ownerOnly = QFile::ReadOwner | QFile::WriteOwner;
    if (!writeFile(m_clientPassFile, line, ownerOnly)
        || !writeFile(m_serverPassFile, line, ownerOnly)
        || !writeFile(root + QStringLiteral("/pwfile"), QByteArray(kPassword) + '\n', ownerOnly)) {
        m_error = QStringLiteral("cannot write the pass files in %1").arg(root);
        return false;
    }
    if (runningAsRoot()) {
        // The folder (and what postgres reads) belongs to postgres; the client pass file stays
        // root's (libpq refuses a pass file readable by others anyway).
        QFile::setPermissions(root,
            QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
                | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther);
        for (const QString &path : {root, root + QStringLiteral("/socket"), m_serverPassFile,
                 root + QStringLiteral("/pwfile")}) {
            if (!chownToPostgres(path)) {
                m_error = QStringLiteral("cannot give %1 to the postgres user").arg(path);
                return false;
            }
        }
    }
    return true;
}

QString PostgresCluster::serverOptions() const
{
    // Per-node settings on the command line: a standby's postgresql.conf is the primary's copy.
    return QStringLiteral("-p %1 -k %2/socket -c listen_addresses=%3 -c cluster_name=%4")
        .arg(m_port)
        .arg(m_dir->path(), m_host, m_name);
}

bool PostgresCluster::initPrimary()
{
    if (!prepareFolder())
        return false;
    if (!run(binDir() + QStringLiteral("/initdb"),
            {QStringLiteral("-D"), dataDir(), QStringLiteral("-U"), QLatin1String(kUser),
                QStringLiteral("--pwfile=") + m_dir->path() + QStringLiteral("/pwfile"),
                QStringLiteral("--auth-host=scram-sha-256"), QStringLiteral("--auth-local=peer"),
                QStringLiteral("--encoding=UTF8"), QStringLiteral("--locale=C.UTF-8"),
                QStringLiteral("--no-sync")},
            true))
        return false;
    // Honest durability (fsync, synchronous_commit) but a small footprint: the machine is shared.
    QFile conf(dataDir() + QStringLiteral("/postgresql.conf"));
    QFile hba(dataDir() + QStringLiteral("/pg_hba.conf"));
    if (!conf.open(QIODevice::Append) || !hba.open(QIODevice::Append)) {
        m_error = QStringLiteral("cannot edit the configuration in %1").arg(dataDir());
        return false;
    }
    conf.write("\n# lottery tests\n"
               "fsync = on\nsynchronous_commit = on\nwal_level = replica\n"
               "max_wal_senders = 5\nhot_standby = on\nshared_buffers = 32MB\n"
               "max_connections = 60\nlog_min_messages = warning\n"
               "log_connections = off\nwal_keep_size = 256MB\n");
    hba.write("\nhost all all 127.0.0.0/8 scram-sha-256\n"
              "host replication all 127.0.0.0/8 scram-sha-256\n");
    conf.close();
    hba.close();
    if (!start())
        return false;
    return createDatabase(QStringLiteral("lottery"));
}

bool PostgresCluster::initStandbyOf(const PostgresCluster &primary)
{
    if (!prepareFolder())
        return false;
    if (!run(binDir() + QStringLiteral("/pg_basebackup"),
            {QStringLiteral("-h"), primary.host(), QStringLiteral("-p"),
                QString::number(primary.port()), QStringLiteral("-U"), QLatin1String(kUser),
                QStringLiteral("-D"), dataDir(), QStringLiteral("-X"), QStringLiteral("stream"),
                QStringLiteral("-c"), QStringLiteral("fast"), QStringLiteral("--no-sync"),
                QStringLiteral("-w")},
            true))
        return false;
    // What -R would write, with our application_name (the name synchronous_standby_names uses).
    QFile autoConf(dataDir() + QStringLiteral("/postgresql.auto.conf"));
    if (!autoConf.open(QIODevice::Append)) {
        m_error = QStringLiteral("cannot edit %1").arg(autoConf.fileName());
        return false;
    }
    autoConf.write(QStringLiteral("primary_conninfo = 'host=%1 port=%2 user=%3 passfile=%4 "
                                  "application_name=%5'\n")
                       .arg(primary.host())
                       .arg(primary.port())
                       .arg(QLatin1String(kUser), m_serverPassFile, m_name)
                       .toUtf8());
    autoConf.close();
    QFile signal(dataDir() + QStringLiteral("/standby.signal"));
    if (!signal.open(QIODevice::WriteOnly)) {
        m_error = QStringLiteral("cannot write standby.signal");
        return false;
    }
    signal.close();
    if (runningAsRoot()) {
        chownToPostgres(autoConf.fileName());
        chownToPostgres(signal.fileName());
    }
    return start();
}

bool PostgresCluster::makeSynchronous(const PostgresCluster &standby)
{
    if (psql(
            QStringLiteral("ALTER SYSTEM SET synchronous_standby_names = '%1'").arg(standby.name()),
            QStringLiteral("postgres"))
            .isNull()
        || psql(QStringLiteral("SELECT pg_reload_conf()"), QStringLiteral("postgres")).isNull())
        return false;
    const QDeadlineTimer deadline(60000);
    while (!deadline.hasExpired()) {
        const QByteArray state
            = psql(QStringLiteral(
                       "SELECT sync_state FROM pg_stat_replication WHERE application_name = '%1'")
                       .arg(standby.name()),
                QStringLiteral("postgres"));
        if (state == "sync")
            return true;
        QThread::msleep(100); // polling another process's state: there is no signal to wait on
    }
    m_error = QStringLiteral("standby %1 did not become synchronous").arg(standby.name());
    return false;
}

bool PostgresCluster::start()
{
    const bool ok = run(binDir() + QStringLiteral("/pg_ctl"),
        {QStringLiteral("start"), QStringLiteral("-D"), dataDir(), QStringLiteral("-w"),
            QStringLiteral("-t"), QStringLiteral("120"), QStringLiteral("-l"),
            m_dir->path() + QStringLiteral("/server.log"), QStringLiteral("-o"), serverOptions()},
        true);
    m_started = m_started || ok;
    return ok;
}

bool PostgresCluster::stop()
{
    return run(binDir() + QStringLiteral("/pg_ctl"),
        {QStringLiteral("stop"), QStringLiteral("-D"), dataDir(), QStringLiteral("-m"),
            QStringLiteral("fast"), QStringLiteral("-w")},
        true);
}

bool PostgresCluster::restartImmediate()
{
    return run(binDir() + QStringLiteral("/pg_ctl"),
        {QStringLiteral("restart"), QStringLiteral("-D"), dataDir(), QStringLiteral("-m"),
            QStringLiteral("immediate"), QStringLiteral("-w"), QStringLiteral("-t"),
            QStringLiteral("120"), QStringLiteral("-l"),
            m_dir->path() + QStringLiteral("/server.log"), QStringLiteral("-o"), serverOptions()},
        true);
}

qint64 PostgresCluster::postmasterPid() const
{
    QFile file(dataDir() + QStringLiteral("/postmaster.pid"));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    return file.readLine().trimmed().toLongLong();
}

void PostgresCluster::killHard()
{
    const qint64 pid = postmasterPid();
    if (pid <= 0)
        return;
    // The backends first noticed, then the postmaster: nothing of this node may answer again.
    QList<qint64> children;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool numeric = false;
        const qint64 child = entry.toLongLong(&numeric);
        if (!numeric)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(child));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray text = stat.readAll();
        const int close = text.lastIndexOf(')');
        const QList<QByteArray> fields = text.mid(close + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == pid)
            children.append(child);
    }
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    for (const qint64 child : children)
        ::kill(static_cast<pid_t>(child), SIGKILL);
    const QDeadlineTimer deadline(30000);
    while (!deadline.hasExpired() && ::kill(static_cast<pid_t>(pid), 0) == 0)
        QThread::msleep(20); // reaped by init: no child of ours to wait on
}

bool PostgresCluster::promote()
{
    return run(binDir() + QStringLiteral("/pg_ctl"),
        {QStringLiteral("promote"), QStringLiteral("-D"), dataDir(), QStringLiteral("-w"),
            QStringLiteral("-t"), QStringLiteral("120")},
        true);
}

bool PostgresCluster::isRunning() const
{
    const qint64 pid = postmasterPid();
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

QString PostgresCluster::connectionString(const QString &database) const
{
    return QStringLiteral("host=%1 port=%2 dbname=%3 user=%4 connect_timeout=5")
        .arg(m_host)
        .arg(m_port)
        .arg(database, QLatin1String(kUser));
}

QByteArray PostgresCluster::psql(const QString &sql, const QString &database)
{
    QByteArray output;
    if (!run(binDir() + QStringLiteral("/psql"),
            {QStringLiteral("-X"), QStringLiteral("-A"), QStringLiteral("-t"), QStringLiteral("-v"),
                QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-d"), connectionString(database),
                QStringLiteral("-c"), sql},
            false, &output, 60000))
        return QByteArray();
    return output.trimmed().isNull() ? QByteArray("") : output.trimmed();
}

bool PostgresCluster::createDatabase(const QString &database)
{
    return !psql(QStringLiteral("CREATE DATABASE %1").arg(database), QStringLiteral("postgres"))
                .isNull();
}

QByteArray PostgresCluster::log() const
{
    QFile file(m_dir ? m_dir->path() + QStringLiteral("/server.log") : QString());
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace lottery::testing
