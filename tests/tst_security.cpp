// Issue 7: TLS and per-agency credentials, over real TLS sockets and the real programs. The CA,
// the server certificate and the agency tokens come from scripts/make-credentials.sh (openssl)
// in a temporary directory; without openssl the socket tests fail (make test installs it).
#include "server/net/credentials.h"
#include "support/program_runner.h"

#include "lottery/protocol/codec.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <optional>

using namespace lottery::protocol;
using lottery::server::CredentialRecord;
using lottery::server::CredentialStore;
using lottery::testing::AgencyProcess;
using lottery::testing::ServerProcess;
namespace credentials = lottery::server::credentials;

namespace {

constexpr int kAgencies = 2;

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// False when the file cannot be written: the caller QVERIFYs it.
[[nodiscard]] bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(bytes) == bytes.size() && file.flush();
}

// Runs scripts/make-credentials.sh DIR N; `hasher` is LOTTERY_CREDENTIALS for the script.
bool makeCredentials(const QString &dir, int agencies, const QString &hasher, QString *output)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("LOTTERY_CREDENTIALS"), hasher);
    process.setProcessEnvironment(environment);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QStringLiteral(LOTTERY_SOURCE_DIR "/scripts/make-credentials.sh"),
        {dir, QString::number(agencies), QStringLiteral("--force")});
    const bool finished = process.waitForFinished(60000);
    *output = QString::fromUtf8(process.readAll());
    return finished && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

// One connection to the server, TLS or not, speaking the protocol. Waits run the event loop.
class Client
{
public:
    // TLS verified against `caFile` (the handshake must succeed), or plain TCP when empty.
    bool connectTo(quint16 port, const QString &caFile, int timeoutMs = 10000)
    {
        if (!caFile.isEmpty()) {
            QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
            tls.setCaCertificates(QSslCertificate::fromPath(caFile));
            tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
            m_socket.setSslConfiguration(tls);
            QObject::connect(&m_socket, &QSslSocket::sslErrors, &m_socket,
                [this](const QList<QSslError> &errors) { m_sslErrors += errors; });
            m_socket.connectToHostEncrypted(QStringLiteral("localhost"), port);
            return waitFor([this] { return m_socket.isEncrypted(); }, timeoutMs);
        }
        m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        return waitFor(
            [this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, timeoutMs);
    }

    void send(const Message &message)
    {
        const std::string bytes = encodeFrame(message);
        m_socket.write(bytes.data(), static_cast<qint64>(bytes.size()));
    }

    // The next message; nothing when the peer closed, the stream is bad or time ran out.
    std::optional<Message> receive(int timeoutMs = 10000)
    {
        std::optional<Message> received;
        waitFor(
            [&] {
                const QByteArray bytes = m_socket.readAll();
                m_decoder.feed(bytes.constData(), static_cast<std::size_t>(bytes.size()));
                Message message;
                const DecodeStatus status = m_decoder.next(message);
                if (status == DecodeStatus::Ok)
                    received = std::move(message);
                return status != DecodeStatus::Incomplete
                    || m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
        return received;
    }

    std::optional<ErrorMessage> receiveError(int timeoutMs = 10000)
    {
        const std::optional<Message> message = receive(timeoutMs);
        if (!message || !std::holds_alternative<ErrorMessage>(*message))
            return std::nullopt;
        return std::get<ErrorMessage>(*message);
    }

    bool waitForDisconnected(int timeoutMs = 10000)
    {
        return waitFor(
            [this] {
                m_socket.readAll();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
    }

    QSslSocket &socket() { return m_socket; }
    const QList<QSslError> &sslErrors() const { return m_sslErrors; }

private:
    template<typename Condition> bool waitFor(Condition done, int timeoutMs)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (!done()) {
            if (deadline.hasExpired())
                return false;
            QEventLoop loop;
            QTimer::singleShot(qMax<qint64>(1, qMin<qint64>(50, deadline.remainingTime())), &loop,
                &QEventLoop::quit);
            QObject::connect(&m_socket, &QSslSocket::readyRead, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QSslSocket::encrypted, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QSslSocket::disconnected, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QSslSocket::errorOccurred, &loop, &QEventLoop::quit);
            loop.exec();
        }
        return true;
    }

    QSslSocket m_socket; // in plain mode it is just a TCP socket
    StreamDecoder m_decoder;
    QList<QSslError> m_sslErrors;
};

Hello hello(quint32 agency, const QByteArray &token)
{
    return Hello {kProtocolVersion, agency, token.toStdString()};
}

Batch oneBetBatch()
{
    return Batch {1, {Bet {"Ana", "Perez", "30904465", "1999-03-17", 7574}}};
}

} // namespace

class TestSecurity : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void recordParsing_data();
    void recordParsing();
    void storeVerifiesTokens();
    void opensslHashesMatchTheServers();

    void rightTokenEndToEnd_data();
    void rightTokenEndToEnd();
    void refusedHello_data();
    void refusedHello();
    void plainTcpPeerAgainstTlsServer();
    void wrongCaIsRefused();
    void openModeStillWorks();
    void limitsHoldWhileAgenciesAreServed();

private:
    QString secret(const QString &name) const { return m_secrets->filePath("s/" + name); }
    QString otherCa() const { return m_otherSecrets->filePath("s/ca.crt"); }
    QByteArray token(int agency) const
    {
        return readFile(secret(QStringLiteral("agency-%1.token").arg(agency)));
    }
    bool startSecureServer(const QStringList &extra = {});

    std::unique_ptr<QTemporaryDir> m_secrets; // made once: the CA and tokens of every test
    std::unique_ptr<QTemporaryDir> m_otherSecrets; // another CA, for the wrong-CA case
    std::unique_ptr<QTemporaryDir> m_dir; // per test: storage, data files
    std::unique_ptr<ServerProcess> m_server;
    bool m_haveOpenssl = false;
    QString m_scriptError;
};

void TestSecurity::initTestCase()
{
    m_haveOpenssl = !QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty();
    if (!m_haveOpenssl)
        return;
    m_secrets = std::make_unique<QTemporaryDir>();
    m_otherSecrets = std::make_unique<QTemporaryDir>();
    QString output;
    const QString tool = lottery::testing::binaryPath(QStringLiteral("lottery-credentials"));
    QVERIFY2(
        makeCredentials(m_secrets->filePath("s"), kAgencies, tool, &output), qPrintable(output));
    QVERIFY2(makeCredentials(m_otherSecrets->filePath("s"), 1, tool, &output), qPrintable(output));
}

void TestSecurity::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_server = std::make_unique<ServerProcess>();
}

void TestSecurity::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

// A macro, not a helper: QFAIL in a helper only leaves the helper, and the test would run on
// (Qt 6.4 has no QTest::currentTestResolved() to check for it).
#define REQUIRE_OPENSSL()                                                                          \
    if (!m_haveOpenssl)                                                                            \
    QFAIL("openssl is not installed (make test installs it: scripts/install-deps.sh)")

bool TestSecurity::startSecureServer(const QStringList &extra)
{
    return m_server->start(kAgencies, m_dir->filePath("bets.csv"),
        QStringList {QStringLiteral("--tls-cert"), secret("server.crt"),
            QStringLiteral("--tls-key"), secret("server.key"), QStringLiteral("--credentials"),
            secret("credentials")}
            + extra);
}

void TestSecurity::recordParsing_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("error"); // empty: valid
    const QString salt(32, QLatin1Char('a'));
    const QString hash(64, QLatin1Char('b'));
    QTest::newRow("valid") << QStringLiteral("7:pbkdf2-sha256:100000:%1:%2").arg(salt, hash)
                           << QString();
    QTest::newRow("too few fields")
        << QStringLiteral("7:pbkdf2-sha256:100000:%1").arg(salt) << QStringLiteral("got 4 fields");
    QTest::newRow("agency zero") << QStringLiteral("0:pbkdf2-sha256:100000:%1:%2").arg(salt, hash)
                                 << QStringLiteral("agency '0'");
    QTest::newRow("other scheme") << QStringLiteral("7:sha256:100000:%1:%2").arg(salt, hash)
                                  << QStringLiteral("scheme 'sha256'");
    QTest::newRow("too few iterations")
        << QStringLiteral("7:pbkdf2-sha256:10:%1:%2").arg(salt, hash)
        << QStringLiteral("iterations '10'");
    QTest::newRow("short salt") << QStringLiteral("7:pbkdf2-sha256:100000:abcd:%1").arg(hash)
                                << QStringLiteral("salt is not 32 hex digits");
    QTest::newRow("hash not hex")
        << QStringLiteral("7:pbkdf2-sha256:100000:%1:%2").arg(salt, QString(64, QLatin1Char('z')))
        << QStringLiteral("hash is not 64 hex digits");
}

void TestSecurity::recordParsing()
{
    QFETCH(QString, line);
    QFETCH(QString, error);
    CredentialRecord record;
    QString problem;
    const bool ok = credentials::parseRecord(line, &record, &problem);
    QCOMPARE(ok, error.isEmpty());
    if (ok) {
        QCOMPARE(record.agency, 7u);
        QCOMPARE(credentials::formatRecord(record), line);
    } else {
        QVERIFY2(problem.contains(error), qPrintable(problem));
    }
}

void TestSecurity::storeVerifiesTokens()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("credentials");
    const CredentialRecord one = credentials::makeRecord(1, "token-one", 2000);
    const CredentialRecord two = credentials::makeRecord(2, "token-two", 2000);
    QCOMPARE(one.salt.size(), credentials::kSaltBytes);
    QVERIFY(one.salt != credentials::makeRecord(1, "token-one", 2000).salt); // fresh salt
    QVERIFY(writeFile(path,
        "# comment\n\n" + credentials::formatRecord(one).toUtf8() + "\n"
            + credentials::formatRecord(two).toUtf8() + "\n"));
    CredentialStore store;
    QVERIFY2(store.load(path), qPrintable(store.errorString()));
    QCOMPARE(store.size(), 2);
    QVERIFY(store.verify(1, "token-one"));
    QVERIFY(store.verify(2, "token-two"));
    QVERIFY(!store.verify(1, "token-two")); // another agency's token
    QVERIFY(!store.verify(1, "token-onE"));
    QVERIFY(!store.verify(1, ""));
    QVERIFY(!store.verify(3, "token-one")); // no record
    QVERIFY(credentials::constantTimeEquals("abc", "abc"));
    QVERIFY(!credentials::constantTimeEquals("abc", "abd"));
    QVERIFY(!credentials::constantTimeEquals("abc", "abcd"));

    QVERIFY(writeFile(path,
        credentials::formatRecord(one).toUtf8() + "\n" + credentials::formatRecord(one).toUtf8()
            + "\n"));
    QVERIFY(!store.load(path));
    QVERIFY2(store.errorString().contains("line 2: agency 1 appears twice"),
        qPrintable(store.errorString()));
    QVERIFY(writeFile(path, "# nothing\n"));
    QVERIFY(!store.load(path));
    QVERIFY(store.errorString().contains("holds no agency"));

    // What one derivation costs here: the reason it runs in a worker, not the main thread.
    QElapsedTimer clock;
    clock.start();
    credentials::derive("token", one.salt, credentials::kDefaultIterations);
    qInfo("PBKDF2-HMAC-SHA256, %d iterations: %lld ms", credentials::kDefaultIterations,
        static_cast<long long>(clock.elapsed()));
}

void TestSecurity::opensslHashesMatchTheServers()
{
    REQUIRE_OPENSSL();
    QTemporaryDir dir;
    QString output;
    QVERIFY2(makeCredentials(dir.filePath("s"), 2, QStringLiteral("openssl"), &output),
        qPrintable(output));
    QVERIFY2(output.contains("openssl kdf"), qPrintable(output));
    CredentialStore store;
    QVERIFY2(store.load(dir.filePath("s/credentials")), qPrintable(store.errorString()));
    QVERIFY(store.verify(1, readFile(dir.filePath("s/agency-1.token"))));
    QVERIFY(store.verify(2, readFile(dir.filePath("s/agency-2.token"))));
    QVERIFY(!store.verify(1, readFile(dir.filePath("s/agency-2.token"))));
    QCOMPARE(readFile(dir.filePath("s/agency-1.token")).size(), 64); // 32 bytes, hex
    QVERIFY(!QFile::exists(dir.filePath("s/ca.key"))); // the CA key is not kept
}

void TestSecurity::rightTokenEndToEnd_data()
{
    QTest::addColumn<bool>("oneUploadSlot");
    QTest::newRow("slots free") << false;
    // One upload slot, and every fdatasync stalled 0.5 s (strace): while the first agency's
    // task waits for its sync, the other waits for the slot with its TLS socket's reads held in
    // the dispatcher (docs/DESIGN.md), then gets its turn.
    QTest::newRow("one upload slot") << true;
}

void TestSecurity::rightTokenEndToEnd()
{
    REQUIRE_OPENSSL();
    QFETCH(bool, oneUploadSlot);
    QStringList extra;
    if (oneUploadSlot) {
        const QString strace = QStandardPaths::findExecutable(QStringLiteral("strace"));
        if (strace.isEmpty())
            QFAIL("strace is not installed (make test installs it: scripts/install-deps.sh "
                  "--with-tools)");
        m_server->setWrapper({strace, QStringLiteral("-f"), QStringLiteral("-qq"),
            QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-e"),
            QStringLiteral("inject=fdatasync:delay_enter=500000")});
        const QString config = m_dir->filePath(QStringLiteral("one-slot.ini"));
        QFile file(config);
        QVERIFY(file.open(QIODevice::WriteOnly));
        // DEBUG: the server logs each wait for a slot.
        file.write("[DEFAULT]\nSERVER_UPLOAD_SLOTS = 1\nLOGGING_LEVEL = DEBUG\n");
        file.close();
        extra << QStringLiteral("--config") << config;
    }
    QVERIFY(startSecureServer(extra));
    QVERIFY(m_server->output().contains("tls: on | auth: on"));
    std::vector<std::unique_ptr<AgencyProcess>> agencies;
    for (int agency = 1; agency <= kAgencies; ++agency) {
        const QString file = m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QVERIFY(lottery::testing::writeAgencyFile(file, agency, 500, 7));
        agencies.push_back(std::make_unique<AgencyProcess>());
        // "localhost": the certificate's name is checked, not only its CA.
        agencies.back()->start(agency, QStringLiteral("localhost:%1").arg(m_server->port()), file,
            {QStringLiteral("--ca"), secret("ca.crt"), QStringLiteral("--token-file"),
                secret(QStringLiteral("agency-%1.token").arg(agency))});
    }
    for (int agency = 1; agency <= kAgencies; ++agency) {
        AgencyProcess &process = *agencies.at(agency - 1);
        QVERIFY(process.waitForFinished(60000));
        QVERIFY2(process.exitCode() == 0, process.output().constData());
        const QString file = m_dir->filePath(QStringLiteral("agency-%1.csv").arg(agency));
        QCOMPARE(process.reportedWinners(), lottery::testing::countWinnersInFile(file));
        QVERIFY(process.output().contains("token: set"));
        QVERIFY(!process.output().contains(token(agency))); // the secret is never logged
    }
    QTRY_COMPARE(m_server->countLines("action: autenticacion | result: success"), kAgencies);
    QTRY_COMPARE(m_server->countLines("action: sorteo | result: success"), 1);
    if (oneUploadSlot) // an agency did wait for the slot (a DEBUG line per wait)
        QVERIFY2(m_server->countLines("action: upload_slot | result: in_progress") >= 1,
            m_server->output().right(3000).constData());
    QVERIFY(!m_server->output().contains(token(1)));
    QVERIFY(m_server->terminate());
}

void TestSecurity::refusedHello_data()
{
    QTest::addColumn<int>("agency");
    QTest::addColumn<int>("tokenOf"); // 0: no token; -1: a made-up one
    QTest::addColumn<QString>("reason");
    QTest::newRow("wrong token") << 1 << -1 << QStringLiteral("the token is not agency 1's");
    QTest::newRow("another agency's token")
        << 1 << 2 << QStringLiteral("the token is not agency 1's");
    QTest::newRow("missing token") << 2 << 0 << QStringLiteral("HELLO carries no token");
}

void TestSecurity::refusedHello()
{
    REQUIRE_OPENSSL();
    QFETCH(int, agency);
    QFETCH(int, tokenOf);
    QFETCH(QString, reason);
    QVERIFY(startSecureServer());
    const QByteArray presented = tokenOf > 0 ? token(tokenOf)
        : tokenOf == 0                       ? QByteArray()
                                             : QByteArray(64, 'f');
    Client client;
    QVERIFY(client.connectTo(m_server->port(), secret("ca.crt")));
    // A BATCH, DONE and GET_WINNERS right behind the HELLO: none may be stored or answered.
    client.send(hello(static_cast<quint32>(agency), presented));
    client.send(oneBetBatch());
    client.send(Done {});
    client.send(GetWinners {});
    const std::optional<ErrorMessage> error = client.receiveError();
    QVERIFY(error);
    QCOMPARE(error->code, ErrorCode::AuthenticationFailed);
    QVERIFY2(QString::fromStdString(error->message).contains(reason), error->message.c_str());
    // Nothing after the ERROR: reading on (keeping every byte) ends at the close, with no frame.
    QVERIFY(!client.receive());
    QCOMPARE(client.socket().state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(client.socket().bytesAvailable(), 0);
    const QByteArray line
        = QStringLiteral("action: autenticacion | result: fail | agency: %1 | ip: "
                         "127.0.0.1")
              .arg(agency)
              .toUtf8();
    QTRY_COMPARE(m_server->countLines(line), 1);
    QCOMPARE(m_server->countLines("action: apuesta_recibida"), 0);
    QCOMPARE(m_server->countLines("action: hello"), 0);
    QVERIFY(readFile(m_dir->filePath("bets.csv")).isEmpty());
}

void TestSecurity::plainTcpPeerAgainstTlsServer()
{
    REQUIRE_OPENSSL();
    QVERIFY(startSecureServer());
    Client client;
    QVERIFY(client.connectTo(m_server->port(), QString()));
    client.send(hello(1, token(1))); // even the right token, in the clear
    QVERIFY(!client.receive()); // no WELCOME, no frame at all: the connection just closes
    QCOMPARE(client.socket().state(), QAbstractSocket::UnconnectedState);
    QTRY_COMPARE(m_server->countLines("action: tls_handshake | result: fail | ip: 127.0.0.1"), 1);
    QCOMPARE(m_server->countLines("action: autenticacion"), 0);

    // The agency program without --ca: it reports the lost connection and fails.
    const QString file = m_dir->filePath("agency-1.csv");
    QVERIFY(lottery::testing::writeAgencyFile(file, 1, 10, 3));
    AgencyProcess agency;
    agency.start(1, m_server->address(), file,
        {QStringLiteral("--token-file"), secret("agency-1.token"),
            QStringLiteral("--reconnect-timeout"), QStringLiteral("0")});
    QVERIFY(agency.waitForFinished(30000));
    QVERIFY(agency.exitCode() != 0);
    QVERIFY2(agency.output().contains("the server closed the connection"), agency.output());
    QTRY_COMPARE(m_server->countLines("action: tls_handshake | result: fail"), 2);
    QVERIFY(readFile(m_dir->filePath("bets.csv")).isEmpty());
}

void TestSecurity::wrongCaIsRefused()
{
    REQUIRE_OPENSSL();
    QVERIFY(startSecureServer());
    Client client;
    QVERIFY(!client.connectTo(m_server->port(), otherCa(), 5000));
    QVERIFY(!client.socket().isEncrypted());
    QVERIFY(!client.sslErrors().isEmpty());

    const QString file = m_dir->filePath("agency-1.csv");
    QVERIFY(lottery::testing::writeAgencyFile(file, 1, 10, 3));
    AgencyProcess agency;
    agency.start(1, m_server->address(), file,
        {QStringLiteral("--ca"), otherCa(), QStringLiteral("--token-file"),
            secret("agency-1.token")});
    QVERIFY(agency.waitForFinished(30000)); // not retried for the whole connect timeout
    QVERIFY(agency.exitCode() != 0);
    QVERIFY2(agency.output().contains("action: tls | result: fail"), agency.output());
    QCOMPARE(m_server->countLines("action: autenticacion"), 0); // the token never left
}

void TestSecurity::openModeStillWorks()
{
    QVERIFY(m_server->start(1, m_dir->filePath("bets.csv")));
    QVERIFY(m_server->output().contains("tls: off | auth: off"));
    const QString file = m_dir->filePath("agency-1.csv");
    QVERIFY(lottery::testing::writeAgencyFile(file, 1, 200, 5));
    AgencyProcess agency;
    agency.start(1, m_server->address(), file);
    QVERIFY(agency.waitForFinished(60000));
    QVERIFY2(agency.exitCode() == 0, agency.output().constData());
    QCOMPARE(agency.reportedWinners(), lottery::testing::countWinnersInFile(file));
    QCOMPARE(m_server->countLines("action: autenticacion"), 0);
}

void TestSecurity::limitsHoldWhileAgenciesAreServed()
{
    REQUIRE_OPENSSL();
    constexpr int kHelloTimeoutMs = 1500;
    const QString ini = m_dir->filePath("limits.ini");
    QVERIFY(writeFile(ini,
        QStringLiteral("[DEFAULT]\nSERVER_MAX_CONNECTIONS = 4\nSERVER_HELLO_TIMEOUT_MS = %1\n")
            .arg(kHelloTimeoutMs)
            .toUtf8()));
    QVERIFY(startSecureServer({QStringLiteral("--config"), ini}));
    const quint16 port = m_server->port();
    const QString ca = secret("ca.crt");

    Client served;
    QVERIFY(served.connectTo(port, ca));
    served.send(hello(1, token(1)));
    const std::optional<Message> welcome = served.receive();
    QVERIFY(welcome && std::holds_alternative<Welcome>(*welcome));

    // Three peers that never say HELLO: two after the handshake, one not even starting it.
    Client silentA;
    Client silentB;
    Client silentTcp;
    QVERIFY(silentA.connectTo(port, ca));
    QVERIFY(silentB.connectTo(port, ca));
    QVERIFY(silentTcp.connectTo(port, QString()));
    QTRY_COMPARE(m_server->countLines("action: conexion | result: success"), 4);

    Client refused;
    QVERIFY(refused.connectTo(port, ca));
    const std::optional<ErrorMessage> busy = refused.receiveError();
    QVERIFY(busy);
    QCOMPARE(busy->code, ErrorCode::ServerBusy);

    // Meanwhile the authenticated agency is served.
    served.send(oneBetBatch());
    const std::optional<Message> ack = served.receive();
    QVERIFY(ack && std::holds_alternative<Ack>(*ack));

    // The HELLO deadline closes the silent ones, the one stuck before its handshake included.
    for (Client *silent : {&silentA, &silentB}) {
        const std::optional<ErrorMessage> timeout = silent->receiveError(kHelloTimeoutMs + 5000);
        QVERIFY(timeout);
        QCOMPARE(timeout->code, ErrorCode::Timeout);
        QVERIFY(silent->waitForDisconnected());
    }
    QVERIFY(silentTcp.waitForDisconnected(kHelloTimeoutMs + 5000));
    QTRY_COMPARE(m_server->countLines("no HELLO within 1500 ms of connecting"), 3);

    // The slots are free again: another agency gets in, and the first is still served.
    Client next;
    QVERIFY(next.connectTo(port, ca));
    next.send(hello(2, token(2)));
    const std::optional<Message> nextWelcome = next.receive();
    QVERIFY(nextWelcome && std::holds_alternative<Welcome>(*nextWelcome));
    served.send(Done {});
    const std::optional<Message> doneAck = served.receive();
    QVERIFY(doneAck && std::holds_alternative<DoneAck>(*doneAck));
    QVERIFY(served.socket().isEncrypted());
}

QTEST_MAIN(TestSecurity)
#include "tst_security.moc"
