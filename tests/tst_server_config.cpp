// ServerConfigLoader: defaults, config.ini, environment and flag overrides, and every bad value.
#include "server/server_config.h"

#include "common/closest_key.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace lottery;
using namespace lottery::server;

class TestServerConfig : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void defaultsWithoutFile();
    void shippedFileHasTheDefaults();
    void fileValues();
    void environmentOverridesFile();
    void flagsOverrideEnvironment();
    void databaseSelection();
    void badValues_data();
    void badValues();
    void listenHost_data();
    void listenHost();
    void chooseListenAddress_data();
    void chooseListenAddress();
    void missingExplicitConfig();
    void malformedConfig();
    void unknownFlag();
    void help();
    void adminOffByDefault();
    void adminSettings_data();
    void adminSettings();
    void adminOffLoopbackNeedsToken_data();
    void adminOffLoopbackNeedsToken();
    void healthCheckMode();
    void unknownKey_data();
    void unknownKey();
    void everyVariableTheProgramsSetIsKnown();
    void closestSettingName_data();
    void closestSettingName();
    void unknownKeyEndsTheProcess_data();
    void unknownKeyEndsTheProcess();

private:
    ConfigLoadResult load(
        const QStringList &flags, const QProcessEnvironment &env = QProcessEnvironment())
    {
        return ServerConfigLoader::load(
            QStringList {QStringLiteral("lottery-server")} + flags, env);
    }
    // False when the file cannot be written: the caller QVERIFYs it.
    [[nodiscard]] bool writeFile(const QString &name, const QByteArray &content)
    {
        QFile file(QDir::current().filePath(name));
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
            && file.write(content) == content.size() && file.flush();
    }

    QTemporaryDir m_dir;
};

void TestServerConfig::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir::setCurrent(m_dir.path()));
}

void TestServerConfig::init()
{
    QFile::remove(QStringLiteral("config.ini"));
}

void TestServerConfig::defaultsWithoutFile()
{
    const ConfigLoadResult result = load({});
    QVERIFY(result.status == ConfigLoadResult::Status::Ok);
    const ServerConfig &c = result.config;
    QCOMPARE(c.port, 12345);
    QCOMPARE(c.ip, QStringLiteral("0.0.0.0"));
    QCOMPARE(c.listenBacklog, 5);
    QVERIFY(c.logLevel == LogLevel::Info);
    QCOMPARE(c.agencies, 5u);
    QCOMPARE(c.storagePath, QStringLiteral("./bets.csv"));
    QCOMPARE(c.workers, 10);
    QCOMPARE(c.idleTimeoutMs, 60000);
    QCOMPARE(c.frameTimeoutMs, 10000);
    QCOMPARE(c.maxConnections, 1024);
}

void TestServerConfig::shippedFileHasTheDefaults()
{
    const QString shipped = QStringLiteral(LOTTERY_SOURCE_DIR "/server/config.ini");
    const ConfigLoadResult result = load({QStringLiteral("--config"), shipped});
    QVERIFY(result.status == ConfigLoadResult::Status::Ok);
    const ConfigLoadResult defaults = load({});
    QCOMPARE(result.config.port, defaults.config.port);
    QCOMPARE(result.config.agencies, defaults.config.agencies);
    QCOMPARE(result.config.workers, defaults.config.workers);
    QCOMPARE(result.config.storagePath, defaults.config.storagePath);
    QCOMPARE(result.config.idleTimeoutMs, defaults.config.idleTimeoutMs);
    QCOMPARE(result.config.maxConnections, defaults.config.maxConnections);
}

void TestServerConfig::fileValues()
{
    QVERIFY(writeFile(QStringLiteral("config.ini"),
        "[DEFAULT]\nSERVER_PORT = 4000\nSERVER_IP = 127.0.0.1\n"
        "SERVER_LISTEN_BACKLOG = 50\nLOGGING_LEVEL = DEBUG\n"
        "SERVER_AGENCIES = 7\nSERVER_STORAGE = /tmp/x.csv\n"
        "SERVER_WORKERS = 3\nSERVER_IDLE_TIMEOUT_MS = 500\n"
        "SERVER_FRAME_TIMEOUT_MS = 200\n"
        "SERVER_MAX_CONNECTIONS = 9\n"));
    const ConfigLoadResult result = load({});
    QVERIFY(result.status == ConfigLoadResult::Status::Ok);
    const ServerConfig &c = result.config;
    QCOMPARE(c.port, 4000);
    QCOMPARE(c.ip, QStringLiteral("127.0.0.1"));
    QCOMPARE(c.listenBacklog, 50);
    QVERIFY(c.logLevel == LogLevel::Debug);
    QCOMPARE(c.agencies, 7u);
    QCOMPARE(c.storagePath, QStringLiteral("/tmp/x.csv"));
    QCOMPARE(c.workers, 3);
    QCOMPARE(c.idleTimeoutMs, 500);
    QCOMPARE(c.frameTimeoutMs, 200);
    QCOMPARE(c.maxConnections, 9);
}

void TestServerConfig::environmentOverridesFile()
{
    QVERIFY(writeFile(
        QStringLiteral("config.ini"), "[DEFAULT]\nSERVER_PORT = 4000\nSERVER_WORKERS = 3\n"));
    QProcessEnvironment env;
    env.insert(QStringLiteral("SERVER_PORT"), QStringLiteral("5000"));
    env.insert(QStringLiteral("LOGGING_LEVEL"), QStringLiteral("warning"));
    const ConfigLoadResult result = load({}, env);
    QVERIFY(result.status == ConfigLoadResult::Status::Ok);
    QCOMPARE(result.config.port, 5000);
    QCOMPARE(result.config.workers, 3);
    QVERIFY(result.config.logLevel == LogLevel::Warning);
}

void TestServerConfig::flagsOverrideEnvironment()
{
    QVERIFY(writeFile(
        QStringLiteral("other.ini"), "[DEFAULT]\nSERVER_PORT = 4000\nSERVER_AGENCIES = 2\n"));
    QProcessEnvironment env;
    env.insert(QStringLiteral("SERVER_PORT"), QStringLiteral("5000"));
    env.insert(QStringLiteral("SERVER_WORKERS"), QStringLiteral("4"));
    const ConfigLoadResult result
        = load({"--config", "other.ini", "--port", "6000", "--agencies", "9", "--storage",
                   "/data/b.csv", "--workers", "1", "--log-level", "ERROR"},
            env);
    QVERIFY(result.status == ConfigLoadResult::Status::Ok);
    QCOMPARE(result.config.port, 6000);
    QCOMPARE(result.config.agencies, 9u);
    QCOMPARE(result.config.storagePath, QStringLiteral("/data/b.csv"));
    QCOMPARE(result.config.workers, 1);
    QVERIFY(result.config.logLevel == LogLevel::Error);
}

void TestServerConfig::databaseSelection()
{
    // Unset: the file store. The environment selects PostgreSQL (a password is allowed there:
    // the environment is the process's own), a flag overrides it, and empty goes back to files.
    QVERIFY(!load({}).config.usesDatabase());
    QProcessEnvironment env;
    env.insert(QStringLiteral("SERVER_DATABASE"), QStringLiteral("host=a,b password=p"));
    ConfigLoadResult result = load({}, env);
    QVERIFY(result.status == ConfigLoadResult::Status::Ok);
    QCOMPARE(result.config.database, QStringLiteral("host=a,b password=p"));
    result = load({"--database", "host=c target_session_attrs=read-write"}, env);
    QVERIFY(result.status == ConfigLoadResult::Status::Ok);
    QCOMPARE(result.config.database, QStringLiteral("host=c target_session_attrs=read-write"));
    result = load({"--database", ""}, env);
    QVERIFY(result.status == ConfigLoadResult::Status::Ok);
    QVERIFY(!result.config.usesDatabase());
}

void TestServerConfig::badValues_data()
{
    // where: file, env or flag. The error must name the source and the problem.
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");

    QTest::newRow("port too big in file") << "file"
                                          << "SERVER_PORT"
                                          << "70000"
                                          << "0..65535";
    QTest::newRow("port not a number") << "env"
                                       << "SERVER_PORT"
                                       << "http"
                                       << "not an integer";
    QTest::newRow("port too big flag") << "flag"
                                       << "port"
                                       << "70000"
                                       << "--port";
    QTest::newRow("workers 11 in file") << "file"
                                        << "SERVER_WORKERS"
                                        << "11"
                                        << "1..10";
    QTest::newRow("workers 0 in env") << "env"
                                      << "SERVER_WORKERS"
                                      << "0"
                                      << "1..10";
    QTest::newRow("workers 11 flag") << "flag"
                                     << "workers"
                                     << "11"
                                     << "--workers";
    QTest::newRow("agencies 0 in file") << "file"
                                        << "SERVER_AGENCIES"
                                        << "0"
                                        << "SERVER_AGENCIES";
    QTest::newRow("agencies 0 flag") << "flag"
                                     << "agencies"
                                     << "0"
                                     << "--agencies";
    QTest::newRow("unknown level in env") << "env"
                                          << "LOGGING_LEVEL"
                                          << "LOUD"
                                          << "log level";
    QTest::newRow("unknown level flag") << "flag"
                                        << "log-level"
                                        << "LOUD"
                                        << "--log-level";
    QTest::newRow("ip neither address nor name") << "file"
                                                 << "SERVER_IP"
                                                 << "not an ip!"
                                                 << "not an IP address or a host name";
    QTest::newRow("ip out of range") << "env"
                                     << "SERVER_IP"
                                     << "10.0.0.300"
                                     << "not an IP address";
    QTest::newRow("ip bad ipv6") << "file"
                                 << "SERVER_IP"
                                 << "fe80::1::2"
                                 << "not an IP address";
    QTest::newRow("host label ends with dash") << "env"
                                               << "SERVER_IP"
                                               << "server-.local"
                                               << "not an IP address or a host name";
    QTest::newRow("ip empty") << "env"
                              << "SERVER_IP"
                              << " "
                              << "empty";
    // .invalid never resolves (RFC 6761): the error names the source and the name.
    QTest::newRow("host unresolvable in env") << "env"
                                              << "SERVER_IP"
                                              << "no-such-host.invalid"
                                              << "cannot resolve the host name "
                                                 "'no-such-host.invalid'";
    QTest::newRow("host unresolvable in file") << "file"
                                               << "SERVER_IP"
                                               << "no-such-host.invalid"
                                               << "cannot resolve";
    QTest::newRow("backlog 0") << "env"
                               << "SERVER_LISTEN_BACKLOG"
                               << "0"
                               << "1..65535";
    QTest::newRow("idle timeout 0") << "file"
                                    << "SERVER_IDLE_TIMEOUT_MS"
                                    << "0"
                                    << "IDLE";
    QTest::newRow("frame timeout -5") << "env"
                                      << "SERVER_FRAME_TIMEOUT_MS"
                                      << "-5"
                                      << "FRAME";
    QTest::newRow("max connections 0") << "file"
                                       << "SERVER_MAX_CONNECTIONS"
                                       << "0"
                                       << "MAX";
    QTest::newRow("empty storage") << "flag"
                                   << "storage"
                                   << ""
                                   << "--storage";
    QTest::newRow("database password on the command line") << "flag"
                                                           << "database"
                                                           << "host=db password=x dbname=l"
                                                           << "--database|pass file";
    QTest::newRow("database URI password on the command line")
        << "flag"
        << "database"
        << "postgresql://lottery:x@db/lottery"
        << "--database|contains a password";
    QTest::newRow("admin port too big") << "env"
                                        << "SERVER_ADMIN_PORT"
                                        << "65536"
                                        << "0..65535";
    QTest::newRow("admin port not a number flag") << "flag"
                                                  << "admin-port"
                                                  << "metrics"
                                                  << "--admin-port";
    QTest::newRow("admin ip not an address") << "file"
                                             << "SERVER_ADMIN_IP"
                                             << "localhost"
                                             << "not an IP address";
    QTest::newRow("admin token file missing") << "env"
                                              << "SERVER_ADMIN_TOKEN_FILE"
                                              << "/nonexistent/admin.token"
                                              << "not a readable file";
}

void TestServerConfig::badValues()
{
    QFETCH(QString, where);
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, expected);

    QProcessEnvironment env;
    QStringList flags;
    if (where == u"file") {
        // A fresh name per row: QSettings caches files by path, size and modification time.
        static int fileNumber = 0;
        const QString name = QStringLiteral("bad_%1.ini").arg(++fileNumber);
        QVERIFY(writeFile(name, QStringLiteral("[DEFAULT]\n%1 = %2\n").arg(key, value).toUtf8()));
        flags << QStringLiteral("--config") << name;
        expected += QStringLiteral("|") + name;
    } else if (where == u"env") {
        env.insert(key, value);
        expected += QStringLiteral("|environment variable ") + key;
    } else {
        flags << QStringLiteral("--") + key << value;
    }
    const ConfigLoadResult result = load(flags, env);
    QVERIFY(result.status == ConfigLoadResult::Status::Error);
    for (const QString &part : expected.split(QLatin1Char('|')))
        QVERIFY2(result.text.contains(part), qPrintable(result.text));
    QCOMPARE(ConfigLoadResult::kExitConfigError, 2);
}

void TestServerConfig::listenHost_data()
{
    // SERVER_IP in the file, optionally overridden by the environment; what the loader made of it.
    QTest::addColumn<QString>("fileValue");
    QTest::addColumn<QString>("envValue"); // empty: not set
    QTest::addColumn<QString>("ip");
    QTest::addColumn<QString>("host");

    QTest::newRow("an address stays as written") << "127.0.0.1"
                                                 << ""
                                                 << "127.0.0.1"
                                                 << "";
    QTest::newRow("ipv6 address") << "::1"
                                  << ""
                                  << "::1"
                                  << "";
    QTest::newRow("a name is resolved") << "localhost"
                                        << ""
                                        << "127.0.0.1"
                                        << "localhost";
    QTest::newRow("names are case-blind") << "LocalHost"
                                          << ""
                                          << "127.0.0.1"
                                          << "LocalHost";
    QTest::newRow("env address over file name") << "no-such-host.invalid"
                                                << "0.0.0.0"
                                                << "0.0.0.0"
                                                << "";
    QTest::newRow("env name over file address") << "0.0.0.0"
                                                << "localhost"
                                                << "127.0.0.1"
                                                << "localhost";
}

void TestServerConfig::listenHost()
{
    QFETCH(QString, fileValue);
    QFETCH(QString, envValue);
    QFETCH(QString, ip);
    QFETCH(QString, host);

    static int fileNumber = 0;
    const QString name = QStringLiteral("host_%1.ini").arg(++fileNumber);
    QVERIFY(writeFile(name, QStringLiteral("[DEFAULT]\nSERVER_IP = %1\n").arg(fileValue).toUtf8()));
    QProcessEnvironment env;
    if (!envValue.isEmpty())
        env.insert(QStringLiteral("SERVER_IP"), envValue);
    const ConfigLoadResult result = load({QStringLiteral("--config"), name}, env);
    QVERIFY2(result.status == ConfigLoadResult::Status::Ok, qPrintable(result.text));
    QCOMPARE(result.config.ip, ip);
    QCOMPARE(result.config.host, host);
    if (host.isEmpty())
        QVERIFY(result.config.hostAddresses.isEmpty());
    else
        QVERIFY(result.config.hostAddresses.contains(ip));
}

void TestServerConfig::chooseListenAddress_data()
{
    QTest::addColumn<QStringList>("addresses");
    QTest::addColumn<QString>("expected"); // empty: none usable

    QTest::newRow("one ipv4") << QStringList {"172.18.0.2"} << "172.18.0.2";
    QTest::newRow("the first of several ipv4")
        << QStringList {"10.0.0.7", "10.0.0.8"} << "10.0.0.7";
    QTest::newRow("ipv4 preferred over an earlier ipv6")
        << QStringList {"fd00::2", "::1", "172.18.0.2"} << "172.18.0.2";
    QTest::newRow("ipv6 when there is no ipv4") << QStringList {"fd00::2", "::1"} << "fd00::2";
    QTest::newRow("multicast skipped") << QStringList {"224.0.0.1", "10.0.0.1"} << "10.0.0.1";
    QTest::newRow("broadcast skipped")
        << QStringList {"255.255.255.255", "ff02::1", "::1"} << "::1";
    QTest::newRow("only multicast") << QStringList {"239.1.1.1", "ff02::1"} << "";
    QTest::newRow("nothing") << QStringList {} << "";
}

void TestServerConfig::chooseListenAddress()
{
    QFETCH(QStringList, addresses);
    QFETCH(QString, expected);
    QList<QHostAddress> list;
    for (const QString &address : addresses)
        list << QHostAddress(address);
    const std::optional<QHostAddress> chosen = lottery::server::chooseListenAddress(list);
    if (expected.isEmpty()) {
        QVERIFY(!chosen);
    } else {
        QVERIFY(chosen);
        QCOMPARE(chosen->toString(), expected);
    }
}

void TestServerConfig::missingExplicitConfig()
{
    const ConfigLoadResult result = load({QStringLiteral("--config"), QStringLiteral("nope.ini")});
    QVERIFY(result.status == ConfigLoadResult::Status::Error);
    QVERIFY2(result.text.contains(QStringLiteral("nope.ini")), qPrintable(result.text));
    QVERIFY2(result.text.contains(QStringLiteral("does not exist")), qPrintable(result.text));
}

void TestServerConfig::malformedConfig()
{
    QVERIFY(writeFile(QStringLiteral("broken.ini"), "[DEFAULT\nSERVER_PORT = 1\n"));
    const ConfigLoadResult result
        = load({QStringLiteral("--config"), QStringLiteral("broken.ini")});
    QVERIFY(result.status == ConfigLoadResult::Status::Error);
    QVERIFY2(result.text.contains(QStringLiteral("broken.ini")), qPrintable(result.text));
    QVERIFY2(result.text.contains(QStringLiteral("not a valid INI")), qPrintable(result.text));
}

void TestServerConfig::unknownFlag()
{
    const ConfigLoadResult result = load({QStringLiteral("--prot"), QStringLiteral("1")});
    QVERIFY(result.status == ConfigLoadResult::Status::Error);
    QVERIFY2(result.text.contains(QStringLiteral("prot")), qPrintable(result.text));
}

void TestServerConfig::help()
{
    const ConfigLoadResult result = load({QStringLiteral("--help")});
    QVERIFY(result.status == ConfigLoadResult::Status::Help);
    QVERIFY(result.text.contains(QStringLiteral("--agencies")));
}

void TestServerConfig::adminOffByDefault()
{
    const ConfigLoadResult result = load({});
    QVERIFY(result.status == ConfigLoadResult::Status::Ok);
    QVERIFY(!result.config.adminEnabled());
    QCOMPARE(result.config.adminIp, QStringLiteral("127.0.0.1"));
    QVERIFY(result.config.adminTokenPath.isEmpty());
}

void TestServerConfig::adminSettings_data()
{
    // where: file, env or flag; port -1: off.
    QTest::addColumn<QString>("where");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("ip");
    QTest::addColumn<bool>("withToken");

    QTest::newRow("file, port 9090") << "file" << 9090 << "127.0.0.1" << false;
    QTest::newRow("env, port 0 (kernel picks)") << "env" << 0 << "127.0.0.1" << false;
    QTest::newRow("flag, IPv6 loopback") << "flag" << 8080 << "::1" << false;
    QTest::newRow("env, any address with token") << "env" << 9090 << "0.0.0.0" << true;
    QTest::newRow("flag, LAN address with token") << "flag" << 9443 << "10.1.2.3" << true;
    QTest::newRow("file, loopback with token") << "file" << 9090 << "127.0.0.1" << true;
}

void TestServerConfig::adminSettings()
{
    QFETCH(QString, where);
    QFETCH(int, port);
    QFETCH(QString, ip);
    QFETCH(bool, withToken);

    const QString token = QDir::current().filePath(QStringLiteral("admin.token"));
    if (withToken)
        QVERIFY(writeFile(QStringLiteral("admin.token"), "0123456789abcdef0123456789abcdef\n"));
    QProcessEnvironment env;
    QStringList flags;
    if (where == u"file") {
        static int fileNumber = 0;
        const QString name = QStringLiteral("admin_%1.ini").arg(++fileNumber);
        QString text = QStringLiteral("[DEFAULT]\nSERVER_ADMIN_PORT = %1\nSERVER_ADMIN_IP = %2\n")
                           .arg(port)
                           .arg(ip);
        if (withToken)
            text += QStringLiteral("SERVER_ADMIN_TOKEN_FILE = %1\n").arg(token);
        QVERIFY(writeFile(name, text.toUtf8()));
        flags << QStringLiteral("--config") << name;
    } else if (where == u"env") {
        env.insert(QStringLiteral("SERVER_ADMIN_PORT"), QString::number(port));
        env.insert(QStringLiteral("SERVER_ADMIN_IP"), ip);
        if (withToken)
            env.insert(QStringLiteral("SERVER_ADMIN_TOKEN_FILE"), token);
    } else {
        flags << QStringLiteral("--admin-port") << QString::number(port)
              << QStringLiteral("--admin-ip") << ip;
        if (withToken)
            flags << QStringLiteral("--admin-token-file") << token;
    }
    const ConfigLoadResult result = load(flags, env);
    QVERIFY2(result.status == ConfigLoadResult::Status::Ok, qPrintable(result.text));
    QVERIFY(result.config.adminEnabled());
    QCOMPARE(result.config.adminPort, port);
    QCOMPARE(result.config.adminIp, ip);
    QCOMPARE(result.config.adminTokenPath, withToken ? token : QString());
}

void TestServerConfig::adminOffLoopbackNeedsToken_data()
{
    QTest::addColumn<QString>("ip");
    QTest::newRow("any IPv4") << "0.0.0.0";
    QTest::newRow("any IPv6") << "::";
    QTest::newRow("LAN address") << "192.168.1.10";
}

void TestServerConfig::adminOffLoopbackNeedsToken()
{
    QFETCH(QString, ip);
    QProcessEnvironment env;
    env.insert(QStringLiteral("SERVER_ADMIN_PORT"), QStringLiteral("9090"));
    env.insert(QStringLiteral("SERVER_ADMIN_IP"), ip);
    const ConfigLoadResult result = load({}, env);
    QVERIFY(result.status == ConfigLoadResult::Status::Error);
    QVERIFY2(result.text.contains(QStringLiteral("needs a bearer token")), qPrintable(result.text));
    QVERIFY2(
        result.text.contains(QStringLiteral("SERVER_ADMIN_TOKEN_FILE")), qPrintable(result.text));
    QVERIFY2(result.text.contains(ip), qPrintable(result.text));

    // The admin endpoint off: the address alone does not matter.
    env.remove(QStringLiteral("SERVER_ADMIN_PORT"));
    QVERIFY(load({}, env).status == ConfigLoadResult::Status::Ok);
}

void TestServerConfig::healthCheckMode()
{
    const ConfigLoadResult result = load(
        {QStringLiteral("--health-check"), QStringLiteral("--admin-port"), QStringLiteral("9090")});
    QVERIFY2(result.status == ConfigLoadResult::Status::HealthCheck, qPrintable(result.text));
    QCOMPARE(result.config.adminPort, 9090);
}

// A misspelled key is an error (exit 2) that names it and, when one is close, the key meant:
// in config.ini, outside [DEFAULT], and among the SERVER_* environment variables.
void TestServerConfig::unknownKey_data()
{
    QTest::addColumn<QByteArray>("file"); // config.ini, empty: none
    QTest::addColumn<QStringList>("environment"); // NAME, VALUE, ...
    QTest::addColumn<QString>("expected"); // the whole error, or "" for no error

    const QStringList none;
    QTest::newRow("file: SERVER_AGENCIE")
        << QByteArray("[DEFAULT]\nSERVER_AGENCIE = 3\n") << none
        << "config file config.ini [DEFAULT]: unknown key `SERVER_AGENCIE`; did you mean "
           "`SERVER_AGENCIES`?";
    QTest::newRow("file: two letters swapped")
        << QByteArray("[DEFAULT]\nSERVER_PROT = 1\n") << none
        << "config file config.ini [DEFAULT]: unknown key `SERVER_PROT`; did you mean "
           "`SERVER_PORT`?";
    QTest::newRow("file: lower case")
        << QByteArray("[DEFAULT]\nserver_workers = 2\n") << none
        << "config file config.ini [DEFAULT]: unknown key `server_workers`; did you mean "
           "`SERVER_WORKERS`?";
    QTest::newRow("file: LOGGING_LEVLE")
        << QByteArray("[DEFAULT]\nLOGGING_LEVLE = DEBUG\n") << none
        << "config file config.ini [DEFAULT]: unknown key `LOGGING_LEVLE`; did you mean "
           "`LOGGING_LEVEL`?";
    QTest::newRow("file: nothing close")
        << QByteArray("[DEFAULT]\nSERVER_COLOUR = blue\n") << none
        << "config file config.ini [DEFAULT]: unknown key `SERVER_COLOUR` (the keys: "
           "SERVER_PORT, SERVER_IP, ";
    QTest::newRow("file: after good keys")
        << QByteArray("[DEFAULT]\nSERVER_PORT = 1\nSERVER_STORAGE = x.csv\nSERVER_TSL_CERT = a\n")
        << none
        << "config file config.ini [DEFAULT]: unknown key `SERVER_TSL_CERT`; did you mean "
           "`SERVER_TLS_CERT`?";
    QTest::newRow("file: another section")
        << QByteArray("[DEFAULT]\nSERVER_PORT = 1\n[server]\nSERVER_AGENCIES = 3\n") << none
        << "config file config.ini: unknown section [server] (key `SERVER_AGENCIES`); every "
           "setting goes in [DEFAULT]";
    QTest::newRow("file: no section")
        << QByteArray("SERVER_AGENCIES = 3\n") << none
        << "config file config.ini: `SERVER_AGENCIES` is outside the [DEFAULT] section, where "
           "every setting goes";
    QTest::newRow("file: the environment-only variable")
        << QByteArray("[DEFAULT]\nSERVER_EVENT_DISPATCHER = qt\n") << none
        << "config file config.ini [DEFAULT]: SERVER_EVENT_DISPATCHER is read from the "
           "environment only, not from a config file";
    QTest::newRow("env: SERVER_AGENCIE")
        << QByteArray() << QStringList {"SERVER_AGENCIE", "3"}
        << "environment: unknown key `SERVER_AGENCIE`; did you mean `SERVER_AGENCIES`?";
    QTest::newRow("env: among good ones")
        << QByteArray() << QStringList {"SERVER_PORT", "1", "SERVER_ADMN_PORT", "9180"}
        << "environment: unknown key `SERVER_ADMN_PORT`; did you mean `SERVER_ADMIN_PORT`?";
    QTest::newRow("env: the event dispatcher, misspelled")
        << QByteArray() << QStringList {"SERVER_EVENT_DISPATCHR", "qt"}
        << "environment: unknown key `SERVER_EVENT_DISPATCHR`; did you mean "
           "`SERVER_EVENT_DISPATCHER`?";
    QTest::newRow("env: nothing close")
        << QByteArray() << QStringList {"SERVER_X", "1"}
        << "environment: unknown key `SERVER_X` (the keys: SERVER_PORT, ";
    QTest::newRow("env: a bad event dispatcher")
        << QByteArray() << QStringList {"SERVER_EVENT_DISPATCHER", "glib"}
        << "environment variable SERVER_EVENT_DISPATCHER: 'glib' is not qt or epoll";
    // Not an error: other programs' variables, the known ones, the environment-only one.
    QTest::newRow("env: other prefixes are not ours")
        << QByteArray() << QStringList {"SERVERS", "3", "CLI_ID", "1", "MY_SERVER_PORT", "1"} << "";
    QTest::newRow("env: SERVER_EVENT_DISPATCHER=qt")
        << QByteArray() << QStringList {"SERVER_EVENT_DISPATCHER", "qt"} << "";
    QTest::newRow("env: SERVER_EVENT_DISPATCHER=epoll")
        << QByteArray() << QStringList {"SERVER_EVENT_DISPATCHER", "epoll"} << "";
}

void TestServerConfig::unknownKey()
{
    QFETCH(QByteArray, file);
    QFETCH(QStringList, environment);
    QFETCH(QString, expected);
    if (!file.isEmpty())
        QVERIFY(writeFile(QStringLiteral("config.ini"), file));
    QProcessEnvironment env;
    for (qsizetype i = 0; i + 1 < environment.size(); i += 2)
        env.insert(environment.at(i), environment.at(i + 1));
    const ConfigLoadResult result = load({}, env);
    if (expected.isEmpty()) {
        QVERIFY2(result.status == ConfigLoadResult::Status::Ok, qPrintable(result.text));
        return;
    }
    QVERIFY(result.status == ConfigLoadResult::Status::Error);
    if (expected.endsWith(QLatin1String(", ")))
        QVERIFY2(result.text.startsWith(expected), qPrintable(result.text));
    else
        QCOMPARE(result.text, expected);
}

// No legitimate variable is refused: every SERVER_* name the shipped files, the Compose
// generator, the images and the tests set (found by their text) loads. A name added to one of
// them and not to the server fails here.
void TestServerConfig::everyVariableTheProgramsSetIsKnown()
{
    const QStringList sources {QStringLiteral("server/config.ini"),
        QStringLiteral("packaging/config.ini"), QStringLiteral("generar-compose.sh"),
        QStringLiteral("docker/Dockerfile"), QStringLiteral("scripts/make-credentials.sh"),
        QStringLiteral("tests/docker/course-flow.sh"),
        QStringLiteral("tests/docker/run-docker-tests.sh"), QStringLiteral("tests/server.cmake"),
        QStringLiteral("tests/tst_end_to_end.cpp"), QStringLiteral("tests/tst_server_process.cpp"),
        QStringLiteral("tests/tst_server_session.cpp"), QStringLiteral("tests/tst_reliability.cpp"),
        QStringLiteral("tests/tst_security.cpp"), QStringLiteral("tests/tst_admin_http.cpp"),
        QStringLiteral("bench/system_run.cpp"), QStringLiteral("bench/loadgen.cpp"),
        QStringLiteral("server/net/epoll_event_dispatcher.cpp")};
    static const QRegularExpression name(QStringLiteral("\\bSERVER_[A-Z0-9_]+\\b"));
    QSet<QString> names;
    for (const QString &source : sources) {
        QFile file(QStringLiteral(LOTTERY_SOURCE_DIR "/") + source);
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(source));
        const QString text = QString::fromUtf8(file.readAll());
        for (const QRegularExpressionMatch &match : name.globalMatch(text))
            names.insert(match.captured());
    }
    QVERIFY2(names.size() >= 20, qPrintable(QStringList(names.begin(), names.end()).join(' ')));
    for (const QString &variable : std::as_const(names)) {
        QProcessEnvironment env;
        // A value the key accepts is not the point here: only "unknown key" is.
        env.insert(variable, QStringLiteral("x"));
        const ConfigLoadResult result = load({}, env);
        QVERIFY2(!result.text.contains(QLatin1String("unknown key")),
            qPrintable(variable + QStringLiteral(": ") + result.text));
    }
}

void TestServerConfig::closestSettingName_data()
{
    QTest::addColumn<QString>("unknown");
    QTest::addColumn<QString>("closest"); // empty: nothing close enough

    QTest::newRow("one letter missing") << "SERVER_AGENCIE"
                                        << "SERVER_AGENCIES";
    QTest::newRow("one letter extra") << "SERVER_PORTT"
                                      << "SERVER_PORT";
    QTest::newRow("swapped") << "SERVER_WOKRERS"
                             << "SERVER_WORKERS";
    QTest::newRow("case") << "Server_Ip"
                          << "SERVER_IP";
    QTest::newRow("two edits in a long name") << "SERVER_UPLOD_BUFER_MB"
                                              << "SERVER_UPLOAD_BUFFER_MB";
    QTest::newRow("short and wrong") << "SERVER_X"
                                     << "";
    QTest::newRow("a different word") << "SERVER_NAME"
                                      << "";
    QTest::newRow("too far") << "SERVER_ADMIN"
                             << "";
}

void TestServerConfig::closestSettingName()
{
    QFETCH(QString, unknown);
    QFETCH(QString, closest);
    const QStringList known {QStringLiteral("SERVER_PORT"), QStringLiteral("SERVER_IP"),
        QStringLiteral("SERVER_AGENCIES"), QStringLiteral("SERVER_WORKERS"),
        QStringLiteral("SERVER_UPLOAD_BUFFER_MB"), QStringLiteral("SERVER_ADMIN_TOKEN_FILE")};
    QCOMPARE(lottery::closestSettingName(unknown, known, u"SERVER_"), closest);
}

// The real program: exit code 2 and the message in its config line, for a misspelled key in
// config.ini (in its working directory) and in the environment.
void TestServerConfig::unknownKeyEndsTheProcess_data()
{
    QTest::addColumn<bool>("inFile");
    QTest::newRow("config.ini") << true;
    QTest::newRow("environment") << false;
}

void TestServerConfig::unknownKeyEndsTheProcess()
{
    QFETCH(bool, inFile);
    QTemporaryDir work;
    QVERIFY(work.isValid());
    QProcess server;
    server.setWorkingDirectory(work.path());
    server.setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (inFile) {
        QFile file(work.filePath(QStringLiteral("config.ini")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.write("[DEFAULT]\nSERVER_PORT = 0\nSERVER_AGENCIE = 3\n") > 0);
        file.close();
    } else {
        env.insert(QStringLiteral("SERVER_AGENCIE"), QStringLiteral("3"));
    }
    server.setProcessEnvironment(env);
    server.start(QStringLiteral(LOTTERY_BIN_DIR "/lottery-server"),
        {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--storage"),
            work.filePath(QStringLiteral("bets.csv"))});
    QVERIFY2(server.waitForFinished(30000), "lottery-server did not exit");
    const QByteArray output = server.readAll();
    QCOMPARE(server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.exitCode(), 2);
    const QByteArray expected = inFile
        ? "action: config | result: fail | error: config file config.ini [DEFAULT]: unknown key "
          "`SERVER_AGENCIE`; did you mean `SERVER_AGENCIES`?"
        : "action: config | result: fail | error: environment: unknown key `SERVER_AGENCIE`; did "
          "you mean `SERVER_AGENCIES`?";
    QVERIFY2(output.contains(expected), output.constData());
    QVERIFY2(!output.contains("action: listen"), output.constData());
    QVERIFY(!QFile::exists(work.filePath(QStringLiteral("bets.csv"))));
}

QTEST_GUILESS_MAIN(TestServerConfig)
#include "tst_server_config.moc"
