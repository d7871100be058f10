// AgencyConfigLoader: defaults < config.yaml < CLI_* environment < flags, and a specific error for
// every bad value (naming the file and key, the variable or the flag) and for a bad --config.
#include "agency_config.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

using lottery::LogLevel;
using lottery::agency::AgencyConfigLoader;

class TestAgencyConfig : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void defaults();
    void agencyIsRequired();
    void yamlFromWorkingDirectory();
    void shippedConfigHasTheCourseDefaults();
    void environmentOverridesYaml();
    void flagsOverrideEnvironment();
    void sessionOptionsCarryTheSettings();
    void badValue_data();
    void badValue();
    void badConfigFile_data();
    void badConfigFile();
    void emptyConfigFileMeansDefaults();
    void helpAndUnknownFlags();
    void reconnectTimeoutFromEachSource_data();
    void reconnectTimeoutFromEachSource();
    void serverListFromEachSource_data();
    void serverListFromEachSource();
    void tokenFile_data();
    void tokenFile();
    void unknownKey_data();
    void unknownKey();
    void everyVariableTheProgramsSetIsKnown();
    void unknownKeyEndsTheProcess_data();
    void unknownKeyEndsTheProcess();

private:
    // False when the file cannot be written: the caller QVERIFYs it.
    [[nodiscard]] bool writeFile(const QString &name, const QByteArray &content)
    {
        QFile file(m_dir->filePath(name));
        return file.open(QIODevice::WriteOnly) && file.write(content) == content.size()
            && file.flush();
    }

    AgencyConfigLoader::Status load(
        const QStringList &flags, const QProcessEnvironment &env = QProcessEnvironment())
    {
        return m_loader.load(QStringList {QStringLiteral("agency-cli")} + flags, env);
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_previousDir;
    AgencyConfigLoader m_loader;
};

void TestAgencyConfig::init()
{
    // Each test runs in an empty working directory: config.yaml is looked up there.
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_previousDir = QDir::currentPath();
    QVERIFY(QDir::setCurrent(m_dir->path()));
    m_loader = AgencyConfigLoader();
}

void TestAgencyConfig::cleanup()
{
    QDir::setCurrent(m_previousDir);
    m_dir.reset();
}

void TestAgencyConfig::defaults()
{
    QCOMPARE(load({"--agency", "3"}), AgencyConfigLoader::Status::Ok);
    const auto &c = m_loader.config();
    QCOMPARE(c.agency, 3u);
    QCOMPARE(c.servers.constFirst().host, QStringLiteral("server"));
    QCOMPARE(c.servers.constFirst().port, quint16(12345));
    QCOMPARE(lottery::toString(c.logLevel), lottery::toString(LogLevel::Info));
    QCOMPARE(c.batchMaxBets, 100);
    QCOMPARE(c.window, 128);
    QCOMPARE(c.connectTimeoutSeconds, 30);
    QCOMPARE(c.reconnectTimeoutSeconds, 60);
    QCOMPARE(c.sessionOptions().reconnectTimeout, std::chrono::milliseconds(60000));
    QCOMPARE(c.dataFile, QStringLiteral(".data/agency-3.csv"));
    QVERIFY(c.token.isEmpty());
    QVERIFY(c.configFile.isEmpty());
}

void TestAgencyConfig::agencyIsRequired()
{
    QCOMPARE(load({}), AgencyConfigLoader::Status::Error);
    QVERIFY2(m_loader.errorString().contains("agency number is not set"),
        qPrintable(m_loader.errorString()));
}

void TestAgencyConfig::yamlFromWorkingDirectory()
{
    QVERIFY(writeFile("config.yaml",
        "id: 2\n"
        "server:\n  address: \"lottery.local:4000\"\n"
        "log:\n  level: debug\n"
        "batch:\n  maxAmount: 50\n"
        "data:\n  file: bets/two.csv\n"
        "loop:\n  amount: 5\n  period: 5s\n")); // the course's keys, not used here
    QCOMPARE(load({}), AgencyConfigLoader::Status::Ok);
    const auto &c = m_loader.config();
    QCOMPARE(c.agency, 2u);
    QCOMPARE(c.servers.constFirst().host, QStringLiteral("lottery.local"));
    QCOMPARE(c.servers.constFirst().port, quint16(4000));
    QCOMPARE(lottery::toString(c.logLevel), lottery::toString(LogLevel::Debug));
    QCOMPARE(c.batchMaxBets, 50);
    QCOMPARE(c.dataFile, QStringLiteral("bets/two.csv"));
    QCOMPARE(c.configFile, QStringLiteral("config.yaml"));
}

void TestAgencyConfig::shippedConfigHasTheCourseDefaults()
{
    // From the source tree (not __FILE__, which a compiler cache may make relative).
    const QString shipped = QStringLiteral(LOTTERY_SOURCE_DIR "/agency-cli/config.yaml");
    QVERIFY2(QFile::exists(shipped), qPrintable(shipped));
    QCOMPARE(load({"--config", shipped, "--agency", "1"}), AgencyConfigLoader::Status::Ok);
    const auto &c = m_loader.config();
    QCOMPARE(c.servers.constFirst().host, QStringLiteral("server"));
    QCOMPARE(c.servers.constFirst().port, quint16(12345));
    QCOMPARE(lottery::toString(c.logLevel), lottery::toString(LogLevel::Info));
    QCOMPARE(c.batchMaxBets, 100);
    QCOMPARE(c.configFile, shipped);
}

void TestAgencyConfig::environmentOverridesYaml()
{
    QVERIFY(writeFile("config.yaml",
        "id: 2\nserver:\n  address: a:1\nlog:\n  level: DEBUG\n"
        "batch:\n  maxAmount: 50\ndata:\n  file: y.csv\n"));
    QProcessEnvironment env;
    env.insert("CLI_ID", "4");
    env.insert("CLI_SERVER_ADDRESS", "b:2");
    env.insert("CLI_LOG_LEVEL", "WARNING");
    env.insert("CLI_BATCH_MAXAMOUNT", "60");
    env.insert("CLI_DATA_FILE", "env.csv");
    env.insert("CLI_TOKEN", "secret");
    QCOMPARE(load({}, env), AgencyConfigLoader::Status::Ok);
    const auto &c = m_loader.config();
    QCOMPARE(c.agency, 4u);
    QCOMPARE(c.servers.constFirst().host, QStringLiteral("b"));
    QCOMPARE(c.servers.constFirst().port, quint16(2));
    QCOMPARE(lottery::toString(c.logLevel), lottery::toString(LogLevel::Warning));
    QCOMPARE(c.batchMaxBets, 60);
    QCOMPARE(c.dataFile, QStringLiteral("env.csv"));
    QCOMPARE(c.token, QStringLiteral("secret"));
}

void TestAgencyConfig::flagsOverrideEnvironment()
{
    QVERIFY(writeFile("other.yaml", "id: 2\nbatch:\n  maxAmount: 50\n"));
    QProcessEnvironment env;
    env.insert("CLI_ID", "4");
    env.insert("CLI_SERVER_ADDRESS", "b:2");
    env.insert("CLI_LOG_LEVEL", "WARNING");
    env.insert("CLI_BATCH_MAXAMOUNT", "60");
    env.insert("CLI_DATA_FILE", "env.csv");
    QCOMPARE(load({"--config", "other.yaml", "--agency", "5", "--server", "127.0.0.1:9000",
                      "--file", "flag.csv", "--batch-max", "70", "--log-level", "ERROR",
                      "--connect-timeout", "3", "--window", "2"},
                 env),
        AgencyConfigLoader::Status::Ok);
    const auto &c = m_loader.config();
    QCOMPARE(c.agency, 5u);
    QCOMPARE(c.servers.constFirst().host, QStringLiteral("127.0.0.1"));
    QCOMPARE(c.servers.constFirst().port, quint16(9000));
    QCOMPARE(c.dataFile, QStringLiteral("flag.csv"));
    QCOMPARE(c.batchMaxBets, 70);
    QCOMPARE(lottery::toString(c.logLevel), lottery::toString(LogLevel::Error));
    QCOMPARE(c.connectTimeoutSeconds, 3);
    QCOMPARE(c.window, 2);
    QCOMPARE(c.configFile, QStringLiteral("other.yaml"));
}

void TestAgencyConfig::sessionOptionsCarryTheSettings()
{
    QCOMPARE(load({"--agency", "7", "--server", "[::1]:8000", "--connect-timeout", "4"}),
        AgencyConfigLoader::Status::Ok);
    const auto options = m_loader.config().sessionOptions();
    QCOMPARE(options.agency, 7u);
    QCOMPARE(options.servers.constFirst().host, QStringLiteral("::1"));
    QCOMPARE(options.servers.constFirst().port, quint16(8000));
    QCOMPARE(options.dataFile, QStringLiteral(".data/agency-7.csv"));
    QCOMPARE(options.batchMaxBets, 100);
    QCOMPARE(options.window, 128);
    QCOMPARE(options.connectTimeout, std::chrono::milliseconds(4000));
}

void TestAgencyConfig::badValue_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QString>("error");

    const QStringList none;
    QTest::newRow("yaml-id") << QByteArray("id: zero\n") << none << none
                             << "config.yaml: id: 'zero' is not an agency number";
    QTest::newRow("yaml-id-zero") << QByteArray("id: 0\n") << none << none
                                  << "config.yaml: id: '0' is not an agency number";
    QTest::newRow("yaml-address-no-port")
        << QByteArray("server:\n  address: server\n") << none << none
        << "config.yaml: server.address: 'server' is not a HOST:PORT address";
    QTest::newRow("yaml-address-bad-port")
        << QByteArray("server:\n  address: server:70000\n") << none << none
        << "config.yaml: server.address: 'server:70000' is not a HOST:PORT address";
    QTest::newRow("yaml-level") << QByteArray("log:\n  level: LOUD\n") << none << none
                                << "config.yaml: log.level: 'LOUD' is not a log level";
    QTest::newRow("yaml-batch") << QByteArray("batch:\n  maxAmount: 0\n") << none << none
                                << "config.yaml: batch.maxAmount: '0' is not a batch size";
    QTest::newRow("yaml-batch-list") << QByteArray("batch:\n  maxAmount: [1, 2]\n") << none << none
                                     << "config.yaml: batch.maxAmount: must be a single";
    QTest::newRow("env-id") << QByteArray() << QStringList {"CLI_ID", "-1"} << none
                            << "environment CLI_ID: '-1' is not an agency number";
    QTest::newRow("env-address") << QByteArray() << QStringList {"CLI_SERVER_ADDRESS", ":12"}
                                 << none
                                 << "environment CLI_SERVER_ADDRESS: ':12' is not a HOST:PORT";
    QTest::newRow("env-level") << QByteArray() << QStringList {"CLI_LOG_LEVEL", "x"} << none
                               << "environment CLI_LOG_LEVEL: 'x' is not a log level";
    QTest::newRow("env-batch") << QByteArray() << QStringList {"CLI_BATCH_MAXAMOUNT", "100000"}
                               << none
                               << "environment CLI_BATCH_MAXAMOUNT: '100000' is not a batch";
    QTest::newRow("env-file") << QByteArray() << QStringList {"CLI_DATA_FILE", " "} << none
                              << "environment CLI_DATA_FILE: ' ' is not a file path";
    QTest::newRow("flag-agency") << QByteArray() << none << QStringList {"--agency", "abc"}
                                 << "--agency: 'abc' is not an agency number";
    QTest::newRow("flag-server") << QByteArray() << none << QStringList {"--server", "h:0"}
                                 << "--server: 'h:0' is not a HOST:PORT address";
    QTest::newRow("flag-batch") << QByteArray() << none << QStringList {"--batch-max", "1.5"}
                                << "--batch-max: '1.5' is not a batch size";
    QTest::newRow("flag-level") << QByteArray() << none << QStringList {"--log-level", ""}
                                << "--log-level: '' is not a log level";
    QTest::newRow("flag-window") << QByteArray() << none << QStringList {"--window", "0"}
                                 << "--window: '0' is not a window";
    QTest::newRow("flag-timeout") << QByteArray() << none
                                  << QStringList {"--connect-timeout", "never"}
                                  << "--connect-timeout: 'never' is not a timeout";
    QTest::newRow("yaml-reconnect") << QByteArray("reconnect:\n  timeout: -1\n") << none << none
                                    << "config.yaml: reconnect.timeout: '-1' is not a timeout";
    QTest::newRow("env-reconnect")
        << QByteArray() << QStringList {"CLI_RECONNECT_TIMEOUT", "soon"} << none
        << "environment CLI_RECONNECT_TIMEOUT: 'soon' is not a timeout";
    QTest::newRow("flag-reconnect")
        << QByteArray() << none << QStringList {"--reconnect-timeout", "86401"}
        << "--reconnect-timeout: '86401' is not a timeout";
    QTest::newRow("flag-missing-value")
        << QByteArray() << none << QStringList {"--agency"} << "Missing value after '--agency'";
}

void TestAgencyConfig::badValue()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QStringList, env);
    QFETCH(QStringList, flags);
    QFETCH(QString, error);
    if (!yaml.isEmpty())
        QVERIFY(writeFile("config.yaml", yaml));
    QProcessEnvironment environment;
    environment.insert("CLI_ID", "1");
    if (!env.isEmpty())
        environment.insert(env.at(0), env.at(1));
    QCOMPARE(load(flags, environment), AgencyConfigLoader::Status::Error);
    QVERIFY2(m_loader.errorString().startsWith(error), qPrintable(m_loader.errorString()));
}

void TestAgencyConfig::badConfigFile_data()
{
    QTest::addColumn<QByteArray>("content"); // null: the file does not exist
    QTest::addColumn<QString>("error");
    QTest::newRow("missing") << QByteArray() << "missing.yaml: no such file (named with --config)";
    QTest::newRow("malformed") << QByteArray("server:\n  address: [unclosed\n")
                               << "missing.yaml: line ";
    QTest::newRow("scalar-top-level")
        << QByteArray("just text\n") << "missing.yaml: the top level must be a mapping";
    QTest::newRow("tab-indent") << QByteArray("server:\n\taddress: a:1\n") << "missing.yaml: line";
}

void TestAgencyConfig::badConfigFile()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, error);
    if (!content.isNull())
        QVERIFY(writeFile("missing.yaml", content));
    QCOMPARE(
        load({"--config", "missing.yaml", "--agency", "1"}), AgencyConfigLoader::Status::Error);
    QVERIFY2(m_loader.errorString().startsWith(error), qPrintable(m_loader.errorString()));
}

void TestAgencyConfig::emptyConfigFileMeansDefaults()
{
    QVERIFY(writeFile("config.yaml", ""));
    QCOMPARE(load({"--agency", "1"}), AgencyConfigLoader::Status::Ok);
    QCOMPARE(m_loader.config().batchMaxBets, 100);
    QCOMPARE(m_loader.config().servers.constFirst().host, QStringLiteral("server"));
}

void TestAgencyConfig::helpAndUnknownFlags()
{
    QCOMPARE(load({"--help"}), AgencyConfigLoader::Status::Help);
    QVERIFY(m_loader.helpText().contains("--batch-max"));
    QCOMPARE(load({"--agency", "1", "--bogus"}), AgencyConfigLoader::Status::Error);
    QVERIFY2(m_loader.errorString().contains("bogus"), qPrintable(m_loader.errorString()));
    QCOMPARE(load({"--agency", "1", "extra"}), AgencyConfigLoader::Status::Error);
    QVERIFY2(m_loader.errorString().contains("extra"), qPrintable(m_loader.errorString()));
}

void TestAgencyConfig::reconnectTimeoutFromEachSource_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("env");
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<int>("seconds");
    QTest::newRow("yaml") << QByteArray("reconnect:\n  timeout: 15\n") << QString() << QStringList()
                          << 15;
    QTest::newRow("env-over-yaml")
        << QByteArray("reconnect:\n  timeout: 15\n") << QStringLiteral("25") << QStringList() << 25;
    QTest::newRow("flag-over-env")
        << QByteArray() << QStringLiteral("25") << QStringList {"--reconnect-timeout", "5"} << 5;
    QTest::newRow("zero-disables")
        << QByteArray() << QString() << QStringList {"--reconnect-timeout", "0"} << 0;
}

void TestAgencyConfig::reconnectTimeoutFromEachSource()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, env);
    QFETCH(QStringList, flags);
    QFETCH(int, seconds);
    if (!yaml.isEmpty())
        QVERIFY(writeFile("config.yaml", yaml));
    QProcessEnvironment environment;
    environment.insert("CLI_ID", "1");
    if (!env.isEmpty())
        environment.insert("CLI_RECONNECT_TIMEOUT", env);
    QCOMPARE(load(flags, environment), AgencyConfigLoader::Status::Ok);
    QCOMPARE(m_loader.config().reconnectTimeoutSeconds, seconds);
    QCOMPARE(m_loader.config().sessionOptions().reconnectTimeout,
        std::chrono::milliseconds(seconds * 1000));
}

void TestAgencyConfig::serverListFromEachSource_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("env");
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QString>("servers"); // as serverAddress() shows them; empty: an error
    QTest::addColumn<QString>("error");
    QTest::newRow("yaml-list") << QByteArray("server:\n  address: \"a:12345,b:12345\"\n")
                               << QString() << QStringList() << "a:12345,b:12345" << QString();
    QTest::newRow("env-list-with-spaces")
        << QByteArray() << "a:1, [::1]:2 ,c:3" << QStringList() << "a:1,[::1]:2,c:3" << QString();
    QTest::newRow("flag-over-env")
        << QByteArray() << "a:1,b:2" << QStringList {"--server", "c:3"} << "c:3" << QString();
    QTest::newRow("empty-entry")
        << QByteArray() << "a:1,,b:2" << QStringList() << QString()
        << "environment CLI_SERVER_ADDRESS: 'a:1,,b:2' is not a HOST:PORT address or a list "
           "a:PORT,b:PORT (an empty entry in the list)";
    QTest::newRow("entry-without-port")
        << QByteArray() << QString() << QStringList {"--server", "a:1,b"} << QString()
        << "--server: 'a:1,b' is not a HOST:PORT address or a list a:PORT,b:PORT (expected "
           "HOST:PORT)";
    QTest::newRow("listed-twice")
        << QByteArray() << QString() << QStringList {"--server", "a:1,a:1"} << QString()
        << "--server: 'a:1,a:1' is not a HOST:PORT address or a list a:PORT,b:PORT (a:1 is "
           "listed twice)";
}

void TestAgencyConfig::serverListFromEachSource()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, env);
    QFETCH(QStringList, flags);
    QFETCH(QString, servers);
    QFETCH(QString, error);
    if (!yaml.isEmpty())
        QVERIFY(writeFile("config.yaml", yaml));
    QProcessEnvironment environment;
    environment.insert("CLI_ID", "1");
    if (!env.isEmpty())
        environment.insert("CLI_SERVER_ADDRESS", env);
    const auto status = load(flags, environment);
    if (!error.isEmpty()) {
        QCOMPARE(status, AgencyConfigLoader::Status::Error);
        QCOMPARE(m_loader.errorString(), error);
        return;
    }
    QCOMPARE(status, AgencyConfigLoader::Status::Ok);
    QCOMPARE(m_loader.config().serverAddress(), servers);
    QCOMPARE(lottery::agency::toString(m_loader.config().sessionOptions().servers), servers);
}

void TestAgencyConfig::tokenFile_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("token"); // empty: refused
    QTest::addColumn<QString>("error"); // what the refusal says, after the file's name
    QTest::newRow("plain") << QByteArray("s3cr3t") << "s3cr3t" << QString();
    QTest::newRow("one-newline-trimmed") << QByteArray("s3cr3t\n") << "s3cr3t" << QString();
    QTest::newRow("crlf-trimmed") << QByteArray("s3cr3t\r\n") << "s3cr3t" << QString();
    QTest::newRow("accented") << QByteArray("contrase\xc3\xb1"
                                            "a")
                              << "contrase\u00f1a" << QString();
    QTest::newRow("at-the-limit") << QByteArray(1024, 'k') << QString(1024, 'k') << QString();
    QTest::newRow("empty") << QByteArray() << QString() << "the token is empty";
    QTest::newRow("only-a-newline") << QByteArray("\n") << QString() << "the token is empty";
    QTest::newRow("two-newlines") << QByteArray("s3cr3t\n\n") << QString()
                                  << "the token holds a non-printable character (U+000A) at "
                                     "character 7";
    QTest::newRow("second-line") << QByteArray("a\nb\n") << QString()
                                 << "the token holds a non-printable character (U+000A)";
    QTest::newRow("tab") << QByteArray("a\tb") << QString()
                         << "the token holds a non-printable character (U+0009)";
    QTest::newRow("line-separator") << QByteArray("a\xe2\x80\xa8") << QString()
                                    << "the token holds a non-printable character (U+2028)";
    QTest::newRow("trailing-space")
        << QByteArray("s3cr3t \n") << QString() << "the token has leading or trailing white space";
    QTest::newRow("too-long") << QByteArray(1025, 'k') << QString()
                              << "the token is longer than 1024 bytes";
    QTest::newRow("bad-utf8") << QByteArray("\xc0\xaf") << QString()
                              << "the token is not valid UTF-8";
}

void TestAgencyConfig::tokenFile()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, token);
    QFETCH(QString, error);
    QVERIFY(writeFile("agency.token", content));
    const auto status = load({"--agency", "1", "--token-file", "agency.token"});
    if (!token.isEmpty()) {
        QCOMPARE(status, AgencyConfigLoader::Status::Ok);
        QCOMPARE(m_loader.config().token, token);
        return;
    }
    QCOMPARE(status, AgencyConfigLoader::Status::Error);
    const QString expected = "--token-file: token file 'agency.token': " + error;
    QVERIFY2(m_loader.errorString().startsWith(expected), qPrintable(m_loader.errorString()));
}

// A misspelled key is an error (exit 2) naming it and, when one is close, the key meant:
// in config.yaml at any depth, and among the CLI_* environment variables.
void TestAgencyConfig::unknownKey_data()
{
    QTest::addColumn<QByteArray>("yaml"); // config.yaml, empty: none
    QTest::addColumn<QStringList>("env"); // NAME, VALUE, ...
    QTest::addColumn<QString>("error"); // the whole error ("...": its start), "" for none

    const QStringList none;
    QTest::newRow("yaml: server.adress")
        << QByteArray("server:\n  adress: \"a:1\"\n") << none
        << "config.yaml: unknown key `server.adress`; did you mean `server.address`?";
    QTest::newRow("yaml: adress at the top")
        << QByteArray("adress: \"a:1\"\n") << none
        << "config.yaml: unknown key `adress`; did you mean `server.address`?";
    QTest::newRow("yaml: sever.address")
        << QByteArray("sever:\n  address: \"a:1\"\n") << none
        << "config.yaml: unknown key `sever`; did you mean `server`?";
    QTest::newRow("yaml: the course's loop, misspelled")
        << QByteArray("loop:\n  amount: 5\n  perod: 5s\n") << none
        << "config.yaml: unknown key `loop.perod`; did you mean `loop.period`?";
    QTest::newRow("yaml: log.levl")
        << QByteArray("log:\n  levl: DEBUG\n") << none
        << "config.yaml: unknown key `log.levl`; did you mean `log.level`?";
    QTest::newRow("yaml: batch.maxamount (case)")
        << QByteArray("batch:\n  maxamount: 5\n") << none
        << "config.yaml: unknown key `batch.maxamount`; did you mean `batch.maxAmount`?";
    QTest::newRow("yaml: token_file")
        << QByteArray("token_file: t\n") << none
        << "config.yaml: unknown key `token_file`; did you mean `tokenFile`?";
    QTest::newRow("yaml: nothing close")
        << QByteArray("colour: blue\n") << none
        << "config.yaml: unknown key `colour` (the keys: id, server.address, log.level, ...";
    QTest::newRow("yaml: after good keys")
        << QByteArray("server:\n  address: \"a:1\"\nlog:\n  level: INFO\n  format: json\n") << none
        << "config.yaml: unknown key `log.format` (the keys: ...";
    QTest::newRow("yaml: a parent holding a value")
        << QByteArray("server: \"a:1\"\n") << none
        << "config.yaml: `server` must be a mapping of `address`, not a single value";
    QTest::newRow("yaml: a dotted key")
        << QByteArray("server.address: \"a:1\"\n") << none
        << "config.yaml: `server.address`: the parts of a key go on their own lines, each under "
           "the one before (server:, then address:)";
    QTest::newRow("yaml: too deep") << QByteArray("server:\n  address:\n    host: a\n") << none
                                    << "config.yaml: server.address: must be a single value";
    QTest::newRow("env: CLI_IDD") << QByteArray() << QStringList {"CLI_IDD", "1"}
                                  << "environment: unknown key `CLI_IDD`; did you mean `CLI_ID`?";
    QTest::newRow("env: CLI_SERVER_ADRESS")
        << QByteArray() << QStringList {"CLI_SERVER_ADRESS", "a:1"}
        << "environment: unknown key `CLI_SERVER_ADRESS`; did you mean `CLI_SERVER_ADDRESS`?";
    QTest::newRow("env: CLI_BATCH_MAX_AMOUNT")
        << QByteArray() << QStringList {"CLI_BATCH_MAX_AMOUNT", "5"}
        << "environment: unknown key `CLI_BATCH_MAX_AMOUNT`; did you mean `CLI_BATCH_MAXAMOUNT`?";
    QTest::newRow("env: nothing close")
        << QByteArray() << QStringList {"CLI_COLOUR", "blue"}
        << "environment: unknown key `CLI_COLOUR` (the keys: CLI_ID, CLI_SERVER_ADDRESS, ...";
    // Not errors: the shipped file's keys, commented or empty parents, other programs' variables.
    QTest::newRow("yaml: an empty parent")
        << QByteArray("server:\nlog:\n  level: INFO\n") << none << "";
    QTest::newRow("yaml: every key")
        << QByteArray("id: 1\nserver:\n  address: \"a:1\"\nlog:\n  level: INFO\nbatch:\n"
                      "  maxAmount: 5\ndata:\n  file: x.csv\nwindow: 4\nconnect:\n  timeout: 3\n"
                      "reconnect:\n  timeout: 0\n")
        << none << "";
    QTest::newRow("yaml: the course's client/config.yaml")
        << QByteArray("server:\n  address: \"server:12345\"\nloop:\n  amount: 5\n"
                      "  period: \"5s\"\nlog:\n  level: \"INFO\"\nbatch:\n  maxAmount: 50\n")
        << none << "";
    QTest::newRow("env: other prefixes")
        << QByteArray() << QStringList {"SERVER_PORT", "1", "CLIENT_ID", "3", "MY_CLI_ID", "2"}
        << "";
}

void TestAgencyConfig::unknownKey()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QStringList, env);
    QFETCH(QString, error);
    if (!yaml.isEmpty())
        QVERIFY(writeFile("config.yaml", yaml));
    QProcessEnvironment environment;
    environment.insert("CLI_ID", "1");
    for (qsizetype i = 0; i + 1 < env.size(); i += 2)
        environment.insert(env.at(i), env.at(i + 1));
    const AgencyConfigLoader::Status status = load({}, environment);
    if (error.isEmpty()) {
        QVERIFY2(status == AgencyConfigLoader::Status::Ok, qPrintable(m_loader.errorString()));
        return;
    }
    QCOMPARE(status, AgencyConfigLoader::Status::Error);
    if (error.endsWith(QLatin1String("...")))
        QVERIFY2(m_loader.errorString().startsWith(error.chopped(3)),
            qPrintable(m_loader.errorString()));
    else
        QCOMPARE(m_loader.errorString(), error);
}

// No legitimate variable is refused: every CLI_* name the Compose generator and the docs set
// (found by their text) loads. A name added to one of them and not to agency-cli
// fails here.
void TestAgencyConfig::everyVariableTheProgramsSetIsKnown()
{
    const QStringList sources {QStringLiteral("generar-compose.sh"), QStringLiteral("README.md"),
        QStringLiteral("docs/DOCKER.md"), QStringLiteral("docs/SECURITY.md"),
        QStringLiteral("docs/RELIABILITY.md"), QStringLiteral("docs/PROTOCOL.md")};
    static const QRegularExpression name(QStringLiteral("\\bCLI_[A-Z0-9_]+\\b"));
    QSet<QString> names;
    for (const QString &source : sources) {
        QFile file(QStringLiteral(LOTTERY_SOURCE_DIR "/") + source);
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(source));
        const QString text = QString::fromUtf8(file.readAll());
        for (const QRegularExpressionMatch &match : name.globalMatch(text))
            names.insert(match.captured());
    }
    QVERIFY2(names.size() >= 8, qPrintable(QStringList(names.begin(), names.end()).join(' ')));
    for (const QString &variable : std::as_const(names)) {
        QProcessEnvironment environment;
        environment.insert(variable, QStringLiteral("x"));
        load({"--agency", "1"}, environment);
        QVERIFY2(!m_loader.errorString().contains(QLatin1String("unknown key")),
            qPrintable(variable + QStringLiteral(": ") + m_loader.errorString()));
    }
}

// The real program: exit code 2 and the message in its config line, before any connection.
void TestAgencyConfig::unknownKeyEndsTheProcess_data()
{
    QTest::addColumn<bool>("inFile");
    QTest::newRow("config.yaml") << true;
    QTest::newRow("environment") << false;
}

void TestAgencyConfig::unknownKeyEndsTheProcess()
{
    QFETCH(bool, inFile);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    QByteArray expected;
    if (inFile) {
        QVERIFY(writeFile("config.yaml", "server:\n  adress: \"127.0.0.1:1\"\n"));
        expected = "action: config | result: fail | error: config.yaml: unknown key "
                   "`server.adress`; did you mean `server.address`?";
    } else {
        environment.insert("CLI_SERVER_ADRESS", "127.0.0.1:1");
        expected = "action: config | result: fail | error: environment: unknown key "
                   "`CLI_SERVER_ADRESS`; did you mean `CLI_SERVER_ADDRESS`?";
    }
    QVERIFY(writeFile("agency-1.csv", "Ana,Paz,30111222,1990-01-02,7574\n"));
    QProcess agency;
    agency.setProcessEnvironment(environment);
    agency.setProcessChannelMode(QProcess::MergedChannels);
    agency.start(QStringLiteral(LOTTERY_BIN_DIR "/agency-cli"),
        {"--agency", "1", "--file", "agency-1.csv", "--no-progress", "--connect-timeout", "1"});
    QVERIFY2(agency.waitForFinished(30000), "agency-cli did not exit");
    const QByteArray output = agency.readAll();
    QCOMPARE(agency.exitStatus(), QProcess::NormalExit);
    QCOMPARE(agency.exitCode(), 2);
    QVERIFY2(output.contains(expected), output.constData());
    QVERIFY2(!output.contains("action: connect"), output.constData());
}

QTEST_GUILESS_MAIN(TestAgencyConfig)
#include "tst_agency_config.moc"
