// The close of sales while real agencies upload, and kill -9 of the server around it
// (docs/OPERATIONS.md, docs/RELIABILITY.md "The close of sales and its seal"). Real programs
// only: lottery-server, agency-cli (protocol version 2, small batches, --log-level DEBUG, a
// receipt file each) and lottery-audit. What every test checks at its end:
// - the journal holds exactly one close record and one seal record, adjacent, and they are its
//   last two records (nothing was stored after the close), and bets.csv ends where the close
//   says the sealed rows end;
// - each agency's stored rows are exactly the first S valid rows of its file, each once, in
//   order, where S is what the agency was last told is stored (its receipt file), and nothing it
//   saw acknowledged (its log) is missing;
// - each agency ended as docs/PROTOCOL.md says: sales_closed (how many of its bets count; in
//   Spanish on a terminal), or, when it had said DONE, the sealed draw and its winners;
// - lottery-audit over the store and every receipt exits 0.
#include "common/agency_receipt.h"
#include "common/stored_bet_row.h"
#include "lottery/agency/agency_csv_row.h"
#include "lottery/protocol/byte_order.h"
#include "support/free_port.h"
#include "support/program_runner.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <map>
#include <memory>
#include <optional>
#include <pty.h>
#include <unistd.h>
#include <vector>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LOTTERY_CLOSE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LOTTERY_CLOSE_SANITIZED 1
#endif
#endif

using lottery::AgencyReceipt;
using lottery::testing::AgencyProcess;
using lottery::testing::binaryPath;
using lottery::testing::ServerProcess;
using lottery::testing::writeAgencyFile;
namespace protocol = lottery::protocol;

namespace {

const QByteArray kToken = "0123456789abcdef0123456789abcdef";
constexpr int kRecordSize = 48;
// Four agencies: 1 uploads a small file and says DONE before the close, 2 and 3 are mid-upload
// at the close, 4 never connects (the shop that never opened): the last DONE cannot close.
constexpr int kAgencies = 4;
constexpr int kSmallFile = 300;
// kill -9 iterations: each a fresh lottery, a close, a kill and a restart (a few seconds each),
// and how far ahead a scheduled close is set (the agencies must be uploading by then). The
// sanitizer builds run everything several times slower: fewer iterations, a longer lead.
#ifdef LOTTERY_CLOSE_SANITIZED
constexpr int kKillIterations = 3;
constexpr int kScheduleLeadSeconds = 8;
#else
constexpr int kKillIterations = 8;
constexpr int kScheduleLeadSeconds = 4;
#endif
// Several times what an agency uploads before any close here, so that 2 and 3 are always
// mid-upload: batches of 5, one in flight, make about 3,000 bets/s per agency on this box
// (measured: 8,000-11,000 stored before a close 3 s ahead; 8,500 in 6.4 s under ASan).
constexpr int kLargeFile = 150000;
constexpr int kMidUploadBatch = 5;
constexpr int kMidUploadWindow = 1;

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

[[nodiscard]] bool writeToken(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(kToken + '\n') == kToken.size() + 1;
}

// A bet as the exactly-once check sees it.
struct Row {
    std::string document;
    int number = 0;
    bool operator==(const Row &other) const
    {
        return document == other.document && number == other.number;
    }
};

// The first `count` valid rows of an agency file (fewer when it has fewer), in order.
std::vector<Row> fileRows(const QString &path, std::size_t count)
{
    std::vector<Row> rows;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return rows;
    while (!file.atEnd() && rows.size() < count) {
        const lottery::agency::CsvBetResult row
            = lottery::agency::parseAgencyCsvLine(file.readLine().toStdString());
        if (row.bet)
            rows.push_back(Row {row.bet->document, row.bet->number});
    }
    return rows;
}

// bets.csv parsed strictly, each agency's rows in storage order; false with *error when a line
// is not a stored bet row.
bool storedRows(const QString &path, std::map<quint32, std::vector<Row>> *rows, QString *error)
{
    const QByteArray content = readFile(path);
    if (!content.isEmpty() && !content.endsWith('\n')) {
        *error = QStringLiteral("bets.csv does not end with a complete line");
        return false;
    }
    int number = 0;
    for (const QByteArray &line : content.split('\n')) {
        ++number;
        if (line.isEmpty())
            continue;
        const auto row = lottery::parseStoredBetRow(
            std::string_view(line.constData(), static_cast<std::size_t>(line.size())));
        if (!row) {
            *error = QStringLiteral("bets.csv line %1 is not a bet row: %2")
                         .arg(number)
                         .arg(QString::fromUtf8(line.left(200)));
            return false;
        }
        (*rows)[row->agency].push_back(Row {row->bet.document, row->bet.number});
    }
    return true;
}

// What the journal says about the close of sales (record layout: docs/RELIABILITY.md).
struct JournalClose {
    int records = 0;
    int partialBytes = 0; // bytes after the last whole record
    int closes = 0;
    int seals = 0;
    bool pairIsLast = false; // exactly one close, its seal right after it, nothing after both
    quint64 csvEnd = 0;
    quint32 reason = 0;
    QByteArray seal; // hex
};

JournalClose readJournal(const QString &storage)
{
    const QByteArray journal = readFile(storage + QStringLiteral(".journal"));
    JournalClose result;
    result.records = journal.size() / kRecordSize;
    result.partialBytes = journal.size() % kRecordSize;
    int closeAt = -1;
    int sealAt = -1;
    for (int i = 0; i < result.records; ++i) {
        const char *record = journal.constData() + i * kRecordSize;
        if (record[4] == 4) {
            ++result.closes;
            closeAt = i;
            result.reason = protocol::loadU32(record + 8);
            result.csvEnd = protocol::loadU64(record + 20);
        } else if (record[4] == 5) {
            ++result.seals;
            sealAt = i;
            result.seal = QByteArray(record + 8, 32).toHex();
        }
    }
    result.pairIsLast = result.closes == 1 && result.seals == 1 && closeAt == result.records - 2
        && sealAt == result.records - 1 && result.partialBytes == 0;
    return result;
}

QString describe(const JournalClose &journal)
{
    return QStringLiteral("journal: %1 records (+%2 bytes), %3 close(s), %4 seal(s), pair last: %5")
        .arg(journal.records)
        .arg(journal.partialBytes)
        .arg(journal.closes)
        .arg(journal.seals)
        .arg(journal.pairIsLast ? "yes" : "no");
}

// The most bets an agency's log says the server confirmed as stored: a RECEIPT's running total
// (`apuesta_enviada`, DEBUG) or a WELCOME after a reconnection (`apuestas_guardadas`).
quint64 acknowledgedBets(const QByteArray &log)
{
    static const QRegularExpression lines(
        QStringLiteral("action: (?:apuesta_enviada \\| result: success \\| cantidad: \\d+ \\| "
                       "secuencia: \\d+ \\| total: (\\d+)|conexion \\| result: success .*"
                       "apuestas_guardadas: (\\d+))"));
    quint64 most = 0;
    auto it = lines.globalMatch(QString::fromUtf8(log));
    while (it.hasNext()) {
        const QRegularExpressionMatch match = it.next();
        const QString total = match.captured(1).isEmpty() ? match.captured(2) : match.captured(1);
        most = qMax<quint64>(most, total.toULongLong());
    }
    return most;
}

// The `sello` of the server's (or agency's) last line of `action`, or empty.
QByteArray sealIn(const QByteArray &log, const QString &action)
{
    const QRegularExpression line(QStringLiteral("action: %1 \\| result: success .*\\| sello: "
                                                 "([0-9a-f]{64})")
                                      .arg(action));
    QByteArray seal;
    auto it = line.globalMatch(QString::fromUtf8(log));
    while (it.hasNext())
        seal = it.next().captured(1).toLatin1();
    return seal;
}

// Whole seconds, as an operator writes the setting, in Argentina's offset (UTC-03:00).
QDateTime closeTimeIn(int seconds)
{
    return QDateTime::fromSecsSinceEpoch(
        QDateTime::currentSecsSinceEpoch() + seconds, Qt::OffsetFromUTC, -3 * 3600);
}

// The port of the server's console, once its `admin_listen` line is out (0 after 10 s).
quint16 adminPortOf(ServerProcess &server)
{
    (void)QTest::qWaitFor([&server] { return server.adminPort() != 0; }, 10000);
    return server.adminPort();
}

struct HttpReply {
    int status = 0;
    QByteArray body;
};

// An admin request answered (or failed) within the time; the event loop runs meanwhile.
HttpReply adminRequest(quint16 port, const QByteArray &verb, const QString &path)
{
    QNetworkAccessManager manager;
    QNetworkRequest request {QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path))};
    request.setTransferTimeout(40000);
    request.setRawHeader("Authorization", "Bearer " + kToken);
    QNetworkReply *reply
        = verb == "POST" ? manager.post(request, QByteArray()) : manager.get(request);
    (void)QTest::qWaitFor([reply] { return reply->isFinished(); }, 45000);
    HttpReply result {
        reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
    delete reply;
    return result;
}

// The body of an HTTP 200 answer read from `socket` (Content-Length bytes), or nullopt.
std::optional<QByteArray> readHttpAnswer(QTcpSocket &socket)
{
    QByteArray answer;
    QDeadlineTimer deadline(30000);
    while (!deadline.hasExpired()) {
        const int headerEnd = int(answer.indexOf("\r\n\r\n"));
        if (headerEnd >= 0) {
            static const QRegularExpression length(QStringLiteral("(?i)content-length: (\\d+)"));
            const QRegularExpressionMatch match
                = length.match(QString::fromLatin1(answer.left(headerEnd)));
            const int size = match.hasMatch() ? match.captured(1).toInt() : 0;
            if (answer.size() >= headerEnd + 4 + size) {
                if (!answer.startsWith("HTTP/1.1 200")) {
                    qWarning("the close answered: %s", answer.constData());
                    return std::nullopt;
                }
                return answer.mid(headerEnd + 4, size);
            }
        }
        if (!socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())))
            && socket.bytesAvailable() == 0)
            return std::nullopt;
        answer += socket.readAll();
    }
    return std::nullopt;
}

// agency-cli with its stderr on a pseudo-terminal (a person watching: the summary in the chosen
// language goes there) and its log lines on stdout, in a file.
class TerminalAgency
{
public:
    TerminalAgency() = default;
    TerminalAgency(const TerminalAgency &) = delete;
    TerminalAgency &operator=(const TerminalAgency &) = delete;
    ~TerminalAgency()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
        m_notifier.reset();
        if (m_master >= 0)
            ::close(m_master);
        if (m_slave >= 0)
            ::close(m_slave);
    }

    bool start(const QStringList &arguments)
    {
        winsize size {};
        size.ws_col = 100;
        size.ws_row = 24;
        if (::openpty(&m_master, &m_slave, nullptr, nullptr, &size) != 0 || !m_log.open())
            return false;
        ::fcntl(m_master, F_SETFL, ::fcntl(m_master, F_GETFL) | O_NONBLOCK);
        m_process.setStandardOutputFile(m_log.fileName());
        const int slave = m_slave;
        m_process.setChildProcessModifier([slave] { ::dup2(slave, STDERR_FILENO); });
        m_notifier = std::make_unique<QSocketNotifier>(m_master, QSocketNotifier::Read);
        QObject::connect(m_notifier.get(), &QSocketNotifier::activated, [this] { drain(); });
        m_process.start(binaryPath(QStringLiteral("agency-cli")), arguments);
        if (!m_process.waitForStarted(10000))
            return false;
        ::close(m_slave); // only the child holds it now: EIO once it exits
        m_slave = -1;
        return true;
    }
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    int exitCode() const { return m_process.exitCode(); }
    QProcess::ExitStatus exitStatus() const { return m_process.exitStatus(); }
    QByteArray log() const { return readFile(m_log.fileName()); }
    QByteArray terminal()
    {
        drain();
        return m_output;
    }
    bool waitForFinished(int timeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (isRunning() && !deadline.hasExpired())
            QTest::qWait(20); // the notifier drains the terminal meanwhile
        drain();
        return !isRunning();
    }

private:
    void drain()
    {
        if (m_master < 0)
            return;
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(m_master, buffer, sizeof buffer);
            if (n > 0) {
                m_output.append(buffer, n);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (m_notifier && (n == 0 || errno != EAGAIN))
                m_notifier->setEnabled(false); // EIO: the child side is closed for good
            return;
        }
    }

    QProcess m_process;
    QTemporaryFile m_log;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QByteArray m_output;
    int m_master = -1;
    int m_slave = -1;
};

// One agency of a lottery: its file, its receipt and its program (plain or on a terminal).
struct Agency {
    int number = 0;
    QString file;
    QString receipt;
    std::unique_ptr<AgencyProcess> plain;
    std::unique_ptr<TerminalAgency> onTerminal;

    QStringList arguments(const QString &address, int batchMax, int window) const
    {
        return {QStringLiteral("--agency"), QString::number(number), QStringLiteral("--server"),
            address, QStringLiteral("--file"), file, QStringLiteral("--receipt"), receipt,
            QStringLiteral("--batch-max"), QString::number(batchMax), QStringLiteral("--window"),
            QString::number(window), QStringLiteral("--reconnect-timeout"), QStringLiteral("60"),
            QStringLiteral("--log-level"), QStringLiteral("DEBUG")};
    }
    bool start(const QString &address, int batchMax, int window, bool terminal)
    {
        QStringList args = arguments(address, batchMax, window);
        if (terminal) {
            onTerminal = std::make_unique<TerminalAgency>();
            return onTerminal->start(args << QStringLiteral("--lang") << QStringLiteral("es"));
        }
        plain = std::make_unique<AgencyProcess>();
        // AgencyProcess gives --agency, --server and --file itself.
        plain->start(number, address, file, args.mid(6));
        return true;
    }
    bool isRunning() const
    {
        return onTerminal ? onTerminal->isRunning() : plain && plain->isRunning();
    }
    QByteArray log() const { return onTerminal ? onTerminal->log() : plain->output(); }
    bool waitForFinished(int timeoutMs)
    {
        return onTerminal ? onTerminal->waitForFinished(timeoutMs)
                          : plain->waitForFinished(timeoutMs);
    }
    int exitCode() const { return onTerminal ? onTerminal->exitCode() : plain->exitCode(); }
    bool exitedNormally() const
    {
        return (onTerminal ? onTerminal->exitStatus() : plain->exitStatus())
            == QProcess::NormalExit;
    }
};

} // namespace

class TestCloseUnderLoad : public QObject
{
    Q_OBJECT

private slots:
    void closeWithAgenciesMidUpload_data();
    void closeWithAgenciesMidUpload();
    void killNineAroundTheClose();
    void anInterruptedCloseIsUndone_data();
    void anInterruptedCloseIsUndone();
    void aLateScheduleClosesAtStartAsNew();

private:
    // A lottery closed by the operator: agency 1's 300 bets, its receipt; made once.
    void makeClosedStore();
    // Writes the agency files: 1 small, the others large. False when one cannot be written.
    [[nodiscard]] bool makeAgencies(const QTemporaryDir &dir, std::vector<Agency> *agencies);
    // Until agency 1 said DONE and agencies 2 and 3 had batches acknowledged (mid-upload).
    [[nodiscard]] bool waitUntilMidUpload(std::vector<Agency> &agencies, int timeoutMs);
    // Everything the file ends show once the lottery is closed and every agency has ended
    // (see the top of this file). `seal`: the seal the server logged.
    void expectSealedExactlyOnce(const QString &storage, std::vector<Agency> &agencies,
        const QByteArray &seal, quint32 reason);

    QTemporaryDir m_closed;
    QString m_closedStore;
    QString m_closedReceipt;
    QByteArray m_closedSeal;
};

void TestCloseUnderLoad::makeClosedStore()
{
    if (!m_closedStore.isEmpty())
        return;
    const QString tokenFile = m_closed.filePath(QStringLiteral("admin.token"));
    QVERIFY(writeToken(tokenFile));
    const QString storage = m_closed.filePath(QStringLiteral("bets.csv"));
    Agency agency;
    agency.number = 1;
    agency.file = m_closed.filePath(QStringLiteral("agency-1.csv"));
    agency.receipt = m_closed.filePath(QStringLiteral("recibo-1.txt"));
    QVERIFY(writeAgencyFile(agency.file, 1, kSmallFile, 53));
    ServerProcess server;
    QVERIFY(server.start(kAgencies, storage,
        {QStringLiteral("--admin-port"), QStringLiteral("0"), QStringLiteral("--admin-token-file"),
            tokenFile}));
    QVERIFY(agency.start(server.address(), 10, 2, false));
    QTRY_VERIFY_WITH_TIMEOUT(
        agency.log().contains("action: envio_apuestas | result: success"), 30000);
    const HttpReply closed = adminRequest(adminPortOf(server), "POST", "/api/sales/close");
    QCOMPARE(closed.status, 200);
    QVERIFY(agency.waitForFinished(30000));
    QCOMPARE(agency.exitCode(), 0);
    QVERIFY(server.terminate());
    m_closedSeal = QJsonDocument::fromJson(closed.body)
                       .object()
                       .value(QStringLiteral("seal"))
                       .toString()
                       .toLatin1();
    QVERIFY(readJournal(storage).pairIsLast);
    m_closedReceipt = agency.receipt;
    m_closedStore = storage;
}

bool TestCloseUnderLoad::makeAgencies(const QTemporaryDir &dir, std::vector<Agency> *agencies)
{
    for (int number = 1; number <= 3; ++number) {
        Agency agency;
        agency.number = number;
        agency.file = dir.filePath(QStringLiteral("agency-%1.csv").arg(number));
        agency.receipt = dir.filePath(QStringLiteral("recibo-%1.txt").arg(number));
        if (!writeAgencyFile(agency.file, number, number == 1 ? kSmallFile : kLargeFile, 53))
            return false;
        agencies->push_back(std::move(agency));
    }
    return true;
}

bool TestCloseUnderLoad::waitUntilMidUpload(std::vector<Agency> &agencies, int timeoutMs)
{
    return QTest::qWaitFor(
        [&] {
            return agencies[0].log().contains("action: envio_apuestas | result: success")
                && acknowledgedBets(agencies[1].log()) > 0
                && acknowledgedBets(agencies[2].log()) > 0;
        },
        timeoutMs);
}

void TestCloseUnderLoad::expectSealedExactlyOnce(
    const QString &storage, std::vector<Agency> &agencies, const QByteArray &seal, quint32 reason)
{
    const JournalClose journal = readJournal(storage);
    QVERIFY2(journal.pairIsLast, qPrintable(describe(journal)));
    QCOMPARE(journal.seal, seal);
    QCOMPARE(journal.reason, reason);
    QCOMPARE(quint64(QFileInfo(storage).size()), journal.csvEnd); // no row after the close

    std::map<quint32, std::vector<Row>> stored;
    QString error;
    QVERIFY2(storedRows(storage, &stored, &error), qPrintable(error));
    QVERIFY(stored.find(kAgencies) == stored.end()); // agency 4 never connected
    QStringList receipts;
    qint64 totalBets = 0;
    for (Agency &agency : agencies) {
        const std::vector<Row> &rows = stored[quint32(agency.number)];
        const std::vector<Row> file = fileRows(agency.file, rows.size());
        totalBets += qint64(rows.size());
        // Exactly the first S rows of the file, each once, in the order sent.
        QVERIFY2(rows == file,
            qPrintable(QStringLiteral("agency %1: its %2 stored rows are not the first rows of "
                                      "its file")
                           .arg(agency.number)
                           .arg(rows.size())));
        // What the agency was last told is stored is exactly what the seal holds of it, and
        // nothing it ever saw acknowledged is missing.
        const QByteArray log = agency.log();
        QString receiptError;
        const auto receipt = AgencyReceipt::readFile(agency.receipt, &receiptError);
        QVERIFY2(receipt, qPrintable(receiptError));
        QCOMPARE(receipt->storedBets, quint64(rows.size()));
        QVERIFY2(acknowledgedBets(log) <= rows.size(),
            qPrintable(QStringLiteral("agency %1 saw %2 bets acknowledged, %3 are stored")
                           .arg(agency.number)
                           .arg(acknowledgedBets(log))
                           .arg(rows.size())));
        receipts << agency.receipt;
        qInfo("agency %d: %zu bets sealed, exit %d", agency.number, rows.size(), agency.exitCode());

        // The documented ending: DONE before the close, the sealed draw and its winners;
        // mid-upload, sales_closed and how many bets count, and also the sealed draw and the
        // winners of the bets stored before the close (asked for on the same connection: these
        // agencies had not sent DONE).
        QVERIFY(agency.exitedNormally());
        QVERIFY2(agency.exitCode() == 0 || agency.exitCode() == 1, log.right(3000).constData());
        {
            QVERIFY2(log.contains("action: sorteo_sellado | result: success | apuestas: "
                         + QByteArray::number(qulonglong(rows.size()))),
                log.right(3000).constData());
            QCOMPARE(sealIn(log, QStringLiteral("sorteo_sellado")), seal);
            int winners = 0;
            for (const Row &row : rows) {
                if (row.number == protocol::kWinningNumber) {
                    ++winners;
                    QVERIFY(log.contains("documento: " + QByteArray::fromStdString(row.document)));
                }
            }
            QVERIFY2(log.contains("action: consulta_ganadores | result: success | "
                                  "cant_ganadores: "
                         + QByteArray::number(winners)),
                log.right(3000).constData());
        }
        if (agency.exitCode() == 1) {
            QVERIFY2(agency.exitCode() == 1
                    && log.contains("action: apuesta_enviada | result: fail | codigo: "
                                    "sales_closed"),
                log.right(3000).constData());
            QVERIFY(agency.number != 1); // it had said DONE: nothing of it was refused
        }
    }
    QVERIFY(agencies[0].exitCode() == 0);

    QProcess audit;
    QStringList arguments {QStringLiteral("--storage"), storage};
    for (const QString &receipt : receipts)
        arguments << QStringLiteral("--receipt") << receipt;
    audit.start(binaryPath(QStringLiteral("lottery-audit")), arguments);
    QVERIFY(audit.waitForFinished(60000));
    const QByteArray report = audit.readAllStandardOutput();
    QVERIFY2(
        audit.exitStatus() == QProcess::NormalExit && audit.exitCode() == 0, report.constData());
    QVERIFY2(report.contains("seal: recorded " + seal + " (match)"), report.constData());
    QVERIFY2(report.contains("bets: " + QByteArray::number(totalBets) + ","), report.constData());
    QCOMPARE(report.count(": honoured"), qsizetype(receipts.size()));
}

void TestCloseUnderLoad::closeWithAgenciesMidUpload_data()
{
    QTest::addColumn<bool>("scheduled");
    QTest::newRow("scheduled (SERVER_SALES_CLOSE)") << true;
    QTest::newRow("operator (POST /api/sales/close)") << false;
}

// Agency 1 is done and waiting for the draw, 2 (on a Spanish terminal) and 3 are uploading, 4
// never connected, when the schedule or the operator closes the sales.
void TestCloseUnderLoad::closeWithAgenciesMidUpload()
{
    QFETCH(bool, scheduled);
    QTemporaryDir dir;
    const QString storage = dir.filePath(QStringLiteral("bets.csv"));
    const QString tokenFile = dir.filePath(QStringLiteral("admin.token"));
    QVERIFY(writeToken(tokenFile));
    std::vector<Agency> agencies;
    QVERIFY(makeAgencies(dir, &agencies));

    // Far enough ahead for the agencies to be mid-upload, near enough not to wait long.
    const QDateTime closeAt = closeTimeIn(kScheduleLeadSeconds);
    QStringList extra {QStringLiteral("--admin-port"), QStringLiteral("0"),
        QStringLiteral("--admin-token-file"), tokenFile};
    if (scheduled)
        extra << QStringLiteral("--sales-close") << closeAt.toString(Qt::ISODate);
    ServerProcess server;
    QVERIFY(server.start(kAgencies, storage, extra));
    for (Agency &agency : agencies)
        QVERIFY(
            agency.start(server.address(), kMidUploadBatch, kMidUploadWindow, agency.number == 2));
    QVERIFY2(waitUntilMidUpload(agencies, 30000), agencies[1].log().right(2000).constData());

    QByteArray seal;
    if (scheduled) {
        const qint64 ahead = QDateTime::currentDateTimeUtc().msecsTo(closeAt);
        qInfo("the agencies are mid-upload %lld ms before the scheduled close", ahead);
        QVERIFY2(ahead > 0, "the agencies were not uploading before the scheduled close");
        QTRY_VERIFY_WITH_TIMEOUT(
            server.countLines("action: cierre_ventas | result: success") == 1, 20000);
        QVERIFY(QDateTime::currentDateTimeUtc() >= closeAt);
        seal = sealIn(server.output(), QStringLiteral("cierre_ventas"));
    } else {
        QElapsedTimer clock;
        clock.start();
        const HttpReply reply = adminRequest(adminPortOf(server), "POST", "/api/sales/close");
        qInfo("the operator's close answered in %lld ms", clock.elapsed());
        QCOMPARE(reply.status, 200);
        const QJsonObject answer = QJsonDocument::fromJson(reply.body).object();
        QCOMPARE(answer.value(QStringLiteral("closed_now")).toBool(), true);
        QCOMPARE(answer.value(QStringLiteral("agencies_done")).toInt(), 1);
        seal = answer.value(QStringLiteral("seal")).toString().toLatin1();
        QTRY_COMPARE_WITH_TIMEOUT(
            sealIn(server.output(), QStringLiteral("cierre_ventas")), seal, 10000);
    }
    for (Agency &agency : agencies)
        QVERIFY2(agency.waitForFinished(60000), agency.log().right(2000).constData());
    QTRY_COMPARE_WITH_TIMEOUT(server.countLines("action: sorteo | result: success"), 1, 10000);
    const QByteArray log = server.output();
    QCOMPARE(log.count("action: cierre_ventas | result: success"), 1);
    QVERIFY2(log.contains(QByteArray("action: cierre_ventas | result: success | motivo: ")
                 + (scheduled ? "horario" : "operador") + " | agencias_completas: 1 | "),
        log.constData());
    // 2 and 3 were mid-upload: refused for the close, told how many of their bets count.
    QCOMPARE(agencies[1].exitCode(), 1);
    QCOMPARE(agencies[2].exitCode(), 1);
    QVERIFY(server.terminate());
    expectSealedExactlyOnce(storage, agencies, seal, scheduled ? 2 : 3);
    if (QTest::currentTestFailed())
        return;
    // The closing server's own count: every sealed bet, nothing refused among them.
    std::map<quint32, std::vector<Row>> stored;
    QString error;
    QVERIFY(storedRows(storage, &stored, &error));
    const qint64 total = qint64(stored[1].size() + stored[2].size() + stored[3].size());
    QVERIFY(log.contains("apuestas: " + QByteArray::number(total) + " | sello: " + seal));
    // Without a reconnection every acknowledgement arrived before the refusal: the agencies saw
    // exactly the sealed bets acknowledged.
    for (int i = 1; i <= 2; ++i)
        QCOMPARE(acknowledgedBets(agencies[i].log()), quint64(stored[quint32(i + 1)].size()));
    const QString terminal = QString::fromUtf8(agencies[1].onTerminal->terminal());
    const QString spanish
        = QStringLiteral("Se guardaron %1 apuestas de esta agencia antes del cierre: esas cuentan "
                         "y entran en el sorteo.")
              .arg(stored[2].size());
    QVERIFY2(terminal.contains(spanish), qPrintable(terminal.right(2000)));
    QVERIFY2(terminal.contains(QStringLiteral("La venta cerró")), qPrintable(terminal.right(2000)));
}

// kill -9 of the server at seeded points around the close: just before and after the operator's
// request, around the scheduled time, right after the close was acknowledged. After the restart
// the close is either recorded with its seal (read back, the same seal) or not at all (sales
// open: the operator closes again), and the lottery ends sealed exactly once.
void TestCloseUnderLoad::killNineAroundTheClose()
{
    const quint32 seed = qEnvironmentVariableIsSet("CLOSE_CRASH_SEED")
        ? quint32(qEnvironmentVariableIntValue("CLOSE_CRASH_SEED"))
        : QRandomGenerator::global()->generate();
    qInfo("kill -9 around the close, seed: %u (set CLOSE_CRASH_SEED to replay)", seed);
    QRandomGenerator random(seed);
    int recordedBeforeKill = 0;
    int closedAfterRestart = 0;
    for (int iteration = 0; iteration < kKillIterations; ++iteration) {
        QTemporaryDir dir;
        const QString storage = dir.filePath(QStringLiteral("bets.csv"));
        const QString tokenFile = dir.filePath(QStringLiteral("admin.token"));
        QVERIFY(writeToken(tokenFile));
        std::vector<Agency> agencies;
        QVERIFY(makeAgencies(dir, &agencies));
        const quint16 port = testsupport::portOutsideEphemeralRange();
        QVERIFY(port != 0);
        // Every third iteration closes on schedule, the others by the operator.
        const bool scheduled = iteration % 3 == 2;
        // The operator: kill a delay in microseconds after the request's last byte went out
        // (the close takes 1-3 ms here), right when its 200 arrives (kOnAnswer), or just
        // before it is sent (kBeforeRequest); the first two iterations take the last two, so
        // both outcomes are always exercised. The schedule: a delay around the closing time.
        constexpr int kOnAnswer = -1;
        constexpr int kBeforeRequest = -2;
        int point = iteration == 0 ? kBeforeRequest : kOnAnswer;
        if (scheduled)
            point = int(random.bounded(-150, 250));
        else if (iteration >= 2)
            point = random.bounded(4) == 0 ? kOnAnswer : int(random.bounded(0, 4000));
        const int batchMax = int(random.bounded(3, 20));
        const int window = int(random.bounded(1, 4));
        QStringList extra {QStringLiteral("--port"), QString::number(port),
            QStringLiteral("--admin-port"), QStringLiteral("0"),
            QStringLiteral("--admin-token-file"), tokenFile};
        const QDateTime closeAt = closeTimeIn(kScheduleLeadSeconds);
        if (scheduled)
            extra << QStringLiteral("--sales-close") << closeAt.toString(Qt::ISODate);
        auto server = std::make_unique<ServerProcess>();
        QVERIFY(server->start(kAgencies, storage, extra));
        const QString address = QStringLiteral("127.0.0.1:%1").arg(port);
        for (Agency &agency : agencies)
            QVERIFY(agency.start(address, batchMax, window, false));
        QVERIFY2(waitUntilMidUpload(agencies, 30000), agencies[1].log().right(2000).constData());

        QByteArray acknowledgedSeal; // the operator's 200, when it arrived before the kill
        if (scheduled) {
            const qint64 wait = QDateTime::currentDateTimeUtc().msecsTo(closeAt.addMSecs(point));
            QVERIFY2(wait > -150, "the agencies were not uploading before the scheduled close");
            if (wait > 0)
                QTest::qWait(int(wait)); // the seeded moment to crash at
        } else if (point != kBeforeRequest) {
            // Written by hand, so that the kill follows the request's last byte by exactly the
            // seeded number of microseconds.
            QTcpSocket http;
            http.connectToHost(QHostAddress::LocalHost, adminPortOf(*server));
            QVERIFY(http.waitForConnected(10000));
            http.write("POST /api/sales/close HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                       "Bearer "
                + kToken + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            QVERIFY(http.waitForBytesWritten(10000));
            if (point == kOnAnswer) {
                const std::optional<QByteArray> body = readHttpAnswer(http);
                QVERIFY(body);
                acknowledgedSeal = QJsonDocument::fromJson(*body)
                                       .object()
                                       .value(QStringLiteral("seal"))
                                       .toString()
                                       .toLatin1();
                QVERIFY(!acknowledgedSeal.isEmpty());
            } else {
                QThread::usleep(static_cast<unsigned long>(point)); // the seeded moment
            }
        }
        server->kill(); // SIGKILL, at the seeded moment
        QVERIFY(!server->isRunning());

        // What the crash left: a whole close-and-seal pair at the end, or no close (a close cut
        // without its seal may be a torn tail: the restart must drop it).
        const JournalClose crashed = readJournal(storage);
        const bool recorded = crashed.closes == 1 && crashed.seals == 1;
        QVERIFY2(recorded ? crashed.pairIsLast : crashed.seals == 0, qPrintable(describe(crashed)));
        if (!acknowledgedSeal.isEmpty()) // acknowledged: it must have been recorded
            QCOMPARE(crashed.seal, acknowledgedSeal);
        if (recorded) // not a row was written after the close, not even one never acknowledged
            QCOMPARE(quint64(QFileInfo(storage).size()), crashed.csvEnd);
        const QString when = scheduled ? QStringLiteral("%1 ms from the scheduled time").arg(point)
            : point == kBeforeRequest  ? QStringLiteral("before the request")
            : point == kOnAnswer       ? QStringLiteral("on the 200")
                                       : QStringLiteral("%1 us after the request").arg(point);
        qInfo("iteration %d: %s close, kill %s (batch %d, window %d): %s", iteration,
            scheduled ? "scheduled" : "operator", qPrintable(when), batchMax, window,
            recorded ? "recorded before the kill" : "not recorded");
        recordedBeforeKill += recorded ? 1 : 0;

        // Restart on the same port (the agencies reconnect) with the same settings.
        server = std::make_unique<ServerProcess>();
        QVERIFY2(server->start(kAgencies, storage, extra), server->output().constData());
        QByteArray seal;
        if (recorded) {
            // Read back with its seal, which the rows still match; a second close answers it.
            QTRY_VERIFY_WITH_TIMEOUT(server->output().contains("registrado: antes"), 10000);
            seal = sealIn(server->output(), QStringLiteral("cierre_ventas"));
            QCOMPARE(seal, crashed.seal);
            const HttpReply again = adminRequest(adminPortOf(*server), "POST", "/api/sales/close");
            QCOMPARE(again.status, 200);
            const QJsonObject answer = QJsonDocument::fromJson(again.body).object();
            QCOMPARE(answer.value(QStringLiteral("closed_now")).toBool(), false);
            QCOMPARE(answer.value(QStringLiteral("seal")).toString().toLatin1(), seal);
        } else if (scheduled) {
            // The time is past: the restarted server closes at once.
            QTRY_VERIFY_WITH_TIMEOUT(
                server->countLines("action: cierre_ventas | result: success | motivo: horario")
                    == 1,
                10000);
            QVERIFY2(!server->output().contains("registrado: antes"), server->output().constData());
            seal = sealIn(server->output(), QStringLiteral("cierre_ventas"));
            ++closedAfterRestart;
        } else {
            // Sales are open: the operator closes them again.
            const HttpReply status = adminRequest(adminPortOf(*server), "GET", "/api/status");
            QCOMPARE(status.status, 200);
            QCOMPARE(QJsonDocument::fromJson(status.body)
                         .object()
                         .value(QStringLiteral("sales"))
                         .toObject()
                         .value(QStringLiteral("state"))
                         .toString(),
                QStringLiteral("open"));
            const HttpReply again = adminRequest(adminPortOf(*server), "POST", "/api/sales/close");
            QCOMPARE(again.status, 200);
            const QJsonObject answer = QJsonDocument::fromJson(again.body).object();
            QCOMPARE(answer.value(QStringLiteral("closed_now")).toBool(), true);
            seal = answer.value(QStringLiteral("seal")).toString().toLatin1();
            ++closedAfterRestart;
        }
        for (Agency &agency : agencies)
            QVERIFY2(agency.waitForFinished(60000), agency.log().right(2000).constData());
        QTRY_COMPARE_WITH_TIMEOUT(server->countLines("action: sorteo | result: success"), 1, 10000);
        QTRY_COMPARE(server->countLines("action: cierre_ventas | result: success"), 1);
        QVERIFY(server->terminate());
        expectSealedExactlyOnce(storage, agencies, seal, scheduled ? 2 : 3);
        if (QTest::currentTestFailed()) {
            qWarning("failed in iteration %d; replay with CLOSE_CRASH_SEED=%u", iteration, seed);
            return;
        }
    }
    qInfo("closes recorded before the kill: %d; made after the restart: %d", recordedBeforeKill,
        closedAfterRestart);
    QVERIFY(recordedBeforeKill > 0 && closedAfterRestart > 0);
}

void TestCloseUnderLoad::anInterruptedCloseIsUndone_data()
{
    // How the journal's end is left; kill -9 cannot cut the close's one write in two, a power
    // loss can (and the bytes it did not write read as zeros).
    QTest::addColumn<QString>("ending");
    QTest::addColumn<bool>("refused"); // false: a torn tail, repaired; true: damage
    QTest::addColumn<QByteArray>("logged");
    const QByteArray tornClose = "a close of sales whose seal was not written";
    QTest::newRow("seal not written") << "cut 48" << false << tornClose;
    QTest::newRow("seal half written") << "cut 20" << false << tornClose;
    QTest::newRow("seal never written (zeros)") << "zero 48" << false << tornClose;
    QTest::newRow("close half written")
        << "cut 66" << false << QByteArray("a partial journal record (30 bytes)");
    QTest::newRow("seal without its close")
        << "drop close" << true << QByteArray("is a seal with no close before it");
    QTest::newRow("a record after the seal")
        << "pair twice" << true << QByteArray("comes after the close of sales");
}

// What a close cut short leaves is undone at the restart: sales are open (never acknowledged),
// and the operator closes again, to the same seal. A close and seal out of place is refused.
void TestCloseUnderLoad::anInterruptedCloseIsUndone()
{
    QFETCH(QString, ending);
    QFETCH(bool, refused);
    QFETCH(QByteArray, logged);
    makeClosedStore();
    QVERIFY(!m_closedStore.isEmpty());
    QTemporaryDir dir;
    const QString storage = dir.filePath(QStringLiteral("bets.csv"));
    const QString journalPath = storage + QStringLiteral(".journal");
    QVERIFY(QFile::copy(m_closedStore, storage));
    QByteArray journal = readFile(m_closedStore + QStringLiteral(".journal"));
    const QByteArray pair = journal.right(2 * kRecordSize);
    const QStringList how = ending.split(QLatin1Char(' '));
    if (how[0] == QLatin1String("cut"))
        journal.chop(how[1].toInt());
    else if (how[0] == QLatin1String("zero"))
        journal.replace(journal.size() - kRecordSize, kRecordSize, QByteArray(kRecordSize, '\0'));
    else if (how[1] == QLatin1String("close"))
        journal.remove(journal.size() - 2 * kRecordSize, kRecordSize);
    else
        journal += pair;
    {
        QFile file(journalPath);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(journal), journal.size());
    }
    const QByteArray rowsBefore = readFile(storage);
    const QString tokenFile = dir.filePath(QStringLiteral("admin.token"));
    QVERIFY(writeToken(tokenFile));
    ServerProcess server;
    const bool started = server.start(kAgencies, storage,
        {QStringLiteral("--admin-port"), QStringLiteral("0"), QStringLiteral("--admin-token-file"),
            tokenFile});
    QVERIFY2(server.output().contains(logged), server.output().constData());
    if (refused) {
        QVERIFY(!started);
        QVERIFY(QTest::qWaitFor([&] { return !server.isRunning(); }, 10000));
        QCOMPARE(server.exitCode(), 2);
        QCOMPARE(readFile(storage), rowsBefore); // changed nothing
        QCOMPARE(readFile(journalPath), journal);
        return;
    }
    QVERIFY2(started, server.output().constData());
    QVERIFY2(server.output().contains("action: recuperacion | result: success"),
        server.output().constData());
    QCOMPARE(server.countLines("action: cierre_ventas | result: success"), 0);
    const HttpReply status = adminRequest(adminPortOf(server), "GET", "/api/status");
    QCOMPARE(QJsonDocument::fromJson(status.body)
                 .object()
                 .value(QStringLiteral("sales"))
                 .toObject()
                 .value(QStringLiteral("state"))
                 .toString(),
        QStringLiteral("open"));
    const HttpReply closed = adminRequest(adminPortOf(server), "POST", "/api/sales/close");
    QCOMPARE(closed.status, 200);
    const QJsonObject answer = QJsonDocument::fromJson(closed.body).object();
    QCOMPARE(answer.value(QStringLiteral("closed_now")).toBool(), true);
    // The same bets, so the same seal (it holds no time).
    QCOMPARE(answer.value(QStringLiteral("seal")).toString().toLatin1(), m_closedSeal);
    QVERIFY(server.terminate());
    const JournalClose after = readJournal(storage);
    QVERIFY2(after.pairIsLast, qPrintable(describe(after)));
    QCOMPARE(quint64(QFileInfo(storage).size()), after.csvEnd);
    QProcess audit;
    audit.start(binaryPath(QStringLiteral("lottery-audit")),
        {QStringLiteral("--storage"), storage, QStringLiteral("--receipt"), m_closedReceipt});
    QVERIFY(audit.waitForFinished(60000));
    QVERIFY2(audit.exitCode() == 0, audit.readAllStandardOutput().constData());
}

// A server started after its SERVER_SALES_CLOSE closes the sales at start, and says so as a close
// made now: the draw that runs at start finished before that close came back from the store,
// 1 start in 10 to 40 (7 in 20 under ASan), and logged it `registrado: antes`, as if an earlier
// run had closed them. Restarted, the same close is read back, and said so.
void TestCloseUnderLoad::aLateScheduleClosesAtStartAsNew()
{
#ifdef LOTTERY_CLOSE_SANITIZED
    constexpr int kStarts = 10;
#else
    constexpr int kStarts = 40;
#endif
    const QStringList late {
        QStringLiteral("--sales-close"), QStringLiteral("2020-01-01T00:00:00-03:00")};
    for (int start = 0; start < kStarts; ++start) {
        QTemporaryDir dir;
        const QString storage = dir.filePath(QStringLiteral("bets.csv"));
        ServerProcess server;
        QVERIFY(server.start(2, storage, late));
        QTRY_COMPARE_WITH_TIMEOUT(server.countLines("action: sorteo | result: success"), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(
            server.countLines("action: cierre_ventas | result: success | motivo: horario"), 1,
            10000);
        QVERIFY2(!server.output().contains("registrado: antes"),
            qPrintable(QStringLiteral("start %1:\n%2")
                           .arg(start)
                           .arg(QString::fromUtf8(server.output()))));
        QVERIFY(server.terminate());
        if (start > 0)
            continue;
        ServerProcess again;
        QVERIFY(again.start(2, storage, late));
        QTRY_COMPARE_WITH_TIMEOUT(
            again.countLines("action: cierre_ventas | result: success | motivo: horario"), 1,
            10000);
        QTRY_VERIFY_WITH_TIMEOUT(again.output().contains("registrado: antes"), 10000);
        QVERIFY(again.terminate());
    }
}

QTEST_GUILESS_MAIN(TestCloseUnderLoad)
#include "tst_close_under_load.moc"
