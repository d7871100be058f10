// The admin endpoint's parts on their own: the Prometheus text writer (label escaping, numbers,
// cumulative histogram buckets), ServerMetrics' counting of worker results, readiness, and the
// constant-time token comparison; the HTTP reader's framing and limits on requests cut at every
// byte; the StatusBoard's hand-over between threads. The endpoint itself is tested in
// tst_admin_http and tst_admin_limits.
#include "server/admin/admin_http.h"
#include "server/admin/admin_server.h"
#include "server/admin/metrics_formatter.h"
#include "server/admin/server_metrics.h"
#include "server/admin/status_board.h"
#include "server/admin/status_report.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <cmath>
#include <limits>

using namespace lottery;
using namespace lottery::server;

namespace {

BatchOutcome acked(quint64 sequence, quint32 bets, bool duplicate)
{
    BatchOutcome outcome;
    outcome.kind = BatchOutcome::Kind::Acked;
    outcome.ack = protocol::Ack {sequence, static_cast<quint16>(bets), duplicate};
    outcome.betCount = bets;
    return outcome;
}

BatchOutcome rejected(protocol::ErrorCode code, const QString &error = QString())
{
    BatchOutcome outcome;
    outcome.kind = BatchOutcome::Kind::Rejected;
    outcome.reject.code = code;
    outcome.error = error;
    return outcome;
}

} // namespace

class TestAdminMetrics : public QObject
{
    Q_OBJECT

private slots:
    void labelEscaping_data();
    void labelEscaping();
    void numbers_data();
    void numbers();
    void histogramIsCumulative();
    void batchesAreCounted();
    void routineClosesAreNotRecentErrors();
    void statusNamesPeerAndFinishesOnlyADrawThatRan();
    void readiness_data();
    void readiness();
    void tokens_data();
    void tokens();
    void readerFramingAtEveryCut();
    void readerLimitsAtTheEdge_data();
    void readerLimitsAtTheEdge();
    void boardHandsOverAcrossThreads();
    void boardSaysStaleWhenItsThreadIsStuck();
};

void TestAdminMetrics::labelEscaping_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("plain") << "stored" << QByteArray("stored");
    QTest::newRow("backslash") << "a\\b" << QByteArray("a\\\\b");
    QTest::newRow("double quote") << "say \"hi\"" << QByteArray("say \\\"hi\\\"");
    QTest::newRow("newline") << "two\nlines" << QByteArray("two\\nlines");
    QTest::newRow("UTF-8 as is") << QString::fromUtf8("Lotería")
                                 << QByteArray("Loter\xc3\xad"
                                               "a");
}

void TestAdminMetrics::labelEscaping()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, expected);
    QCOMPARE(MetricsFormatter::escapeLabelValue(value), expected);
    MetricsFormatter out;
    out.sample("x_total", {{"code", value}}, quint64(3));
    QCOMPARE(out.text(), "x_total{code=\"" + expected + "\"} 3\n");
}

void TestAdminMetrics::numbers_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("integer") << 42.0 << QByteArray("42");
    QTest::newRow("fraction") << 0.0025 << QByteArray("0.0025");
    QTest::newRow("+Inf") << std::numeric_limits<double>::infinity() << QByteArray("+Inf");
    QTest::newRow("-Inf") << -std::numeric_limits<double>::infinity() << QByteArray("-Inf");
    QTest::newRow("NaN") << std::numeric_limits<double>::quiet_NaN() << QByteArray("NaN");
}

void TestAdminMetrics::numbers()
{
    QFETCH(double, value);
    QFETCH(QByteArray, expected);
    QCOMPARE(MetricsFormatter::formatDouble(value), expected);
}

void TestAdminMetrics::histogramIsCumulative()
{
    const double bounds[] = {0.1, 1.0};
    const quint64 counts[] = {2, 3};
    MetricsFormatter out;
    out.family("d_seconds", "histogram", "Help with a \\ and\na newline.");
    out.histogram("d_seconds", bounds, counts, 2, 4, 7.5);
    QCOMPARE(out.text(),
        QByteArray("# HELP d_seconds Help with a \\\\ and\\na newline.\n"
                   "# TYPE d_seconds histogram\n"
                   "d_seconds_bucket{le=\"0.1\"} 2\n"
                   "d_seconds_bucket{le=\"1\"} 5\n"
                   "d_seconds_bucket{le=\"+Inf\"} 9\n"
                   "d_seconds_sum 7.5\n"
                   "d_seconds_count 9\n"));
}

void TestAdminMetrics::batchesAreCounted()
{
    ServerMetrics metrics;
    metrics.restoreAgency(2, 100, 4, false);
    // One task of agency 2: two stored, one resent, one rejected; 3 ms.
    metrics.recordBatches(2,
        {acked(5, 10, false), acked(6, 7, false), acked(6, 7, true),
            rejected(protocol::ErrorCode::InvalidBet)},
        3000000);
    // A task that hits a storage failure: latched with the store's reason; 20 s (above 10 s).
    metrics.recordBatches(
        3, {rejected(protocol::ErrorCode::StorageFailure, "fdatasync failed: EIO")}, 20000000000LL);
    const ServerMetrics::Snapshot s = metrics.snapshot();
    QCOMPARE(s.agencies.value(2).betsStored, quint64(117));
    QCOMPARE(s.agencies.value(2).batchesStored, quint64(6));
    QCOMPARE(s.agencies.value(2).duplicates, quint64(1));
    QCOMPARE(s.agencies.value(2).rejected, quint64(1));
    QVERIFY(s.agencies.value(2).lastBatchMs > 0);
    QCOMPARE(s.agencies.value(3).lastBatchMs, qint64(0));
    QCOMPARE(s.betsStored, quint64(117));
    QCOMPARE(s.batches[static_cast<int>(ServerMetrics::BatchResult::Stored)], quint64(2));
    QCOMPARE(s.batches[static_cast<int>(ServerMetrics::BatchResult::Duplicate)], quint64(1));
    QCOMPARE(s.batches[static_cast<int>(ServerMetrics::BatchResult::Rejected)], quint64(2));
    QCOMPARE(s.rejectionsByCode.value(QStringLiteral("invalid_bet")), quint64(1));
    QCOMPARE(s.rejectionsByCode.value(QStringLiteral("storage_failure")), quint64(1));
    QCOMPARE(s.storageFailure, QStringLiteral("fdatasync failed: EIO"));
    QCOMPARE(s.commit.count, quint64(2));
    // 3 ms falls in the 5 ms bucket (index 3); 20 s in none (+Inf only).
    QCOMPARE(s.commit.buckets[3], quint64(1));
    quint64 inBuckets = 0;
    for (quint64 count : s.commit.buckets)
        inBuckets += count;
    QCOMPARE(inBuckets, quint64(1));
    QCOMPARE(s.betsPerSecond.size(), std::size_t(ServerMetrics::kRateHistorySeconds));
    // The 17 new bets are in the current second (the last entry) or, across a second boundary,
    // the one before.
    QCOMPARE(s.betsPerSecond.back() + s.betsPerSecond[s.betsPerSecond.size() - 2], quint64(17));

    const QByteArray text = formatServerMetrics(StatusSnapshot {}, s, ProcessMetrics {}, 0);
    QVERIFY(text.contains("lottery_bets_stored_total{agency=\"2\"} 117\n"));
    QVERIFY(text.contains("lottery_batch_rejections_total{code=\"invalid_bet\"} 1\n"));
    QVERIFY(text.contains("lottery_commit_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
    QVERIFY(text.contains("lottery_commit_duration_seconds_count 2\n"));
    QVERIFY(text.contains("lottery_storage_failed 1\n"));
}

void TestAdminMetrics::routineClosesAreNotRecentErrors()
{
    ServerMetrics metrics;
    metrics.recordError(1, protocol::ErrorCode::ShuttingDown);
    metrics.recordError(1, protocol::ErrorCode::Superseded);
    metrics.recordError(0, protocol::ErrorCode::Timeout);
    const ServerMetrics::Snapshot s = metrics.snapshot();
    QCOMPARE(s.errorsByCode.size(), 3);
    QCOMPARE(s.recentErrors.size(), std::size_t(1));
    QCOMPARE(s.recentErrors[0].code, QStringLiteral("timeout"));
    QCOMPARE(s.recentErrors[0].agency, 0u);
}

// Issue 23: an error line names the agency and the peer's address; a draw pass that found
// agencies still selling leaves the draw waiting without a finish time.
void TestAdminMetrics::statusNamesPeerAndFinishesOnlyADrawThatRan()
{
    ServerMetrics metrics;
    metrics.recordError(3, protocol::ErrorCode::Timeout, QStringLiteral("10.0.0.7"));
    metrics.recordError(0, protocol::ErrorCode::ServerBusy);
    metrics.recordError(0, protocol::ErrorCode::InvalidAgency, QStringLiteral("10.0.0.9"), 99);
    metrics.recordDrawStarted();
    metrics.recordDrawFinished(DrawResult {}, 1); // not completed: agencies still selling
    StatusSnapshot status;
    status.agenciesExpected = 3;
    QJsonObject document = statusDocument(status, metrics.snapshot(), ProcessMetrics {}, 0);
    const QJsonObject draw = document[QLatin1String("draw")].toObject();
    QCOMPARE(draw[QLatin1String("state")].toString(), QStringLiteral("waiting"));
    QVERIFY(draw[QLatin1String("finished_at")].isNull());
    const QJsonArray recent = document[QLatin1String("errors")][QLatin1String("recent")].toArray();
    QCOMPARE(recent.size(), 3);
    // Newest first: a refused HELLO names the agency it claimed, not as an accepted agency.
    QVERIFY(recent[0][QLatin1String("agency")].isNull());
    QCOMPARE(recent[0][QLatin1String("claimed_agency")].toInt(), 99);
    QCOMPARE(recent[0][QLatin1String("peer")].toString(), QStringLiteral("10.0.0.9"));
    QVERIFY(recent[1][QLatin1String("peer")].isNull()); // before any session
    QVERIFY(recent[1][QLatin1String("agency")].isNull());
    QVERIFY(recent[1][QLatin1String("claimed_agency")].isNull());
    QCOMPARE(recent[2][QLatin1String("peer")].toString(), QStringLiteral("10.0.0.7"));
    QCOMPARE(recent[2][QLatin1String("agency")].toInt(), 3);
    QVERIFY(recent[2][QLatin1String("claimed_agency")].isNull());

    DrawResult completed;
    completed.completed = true;
    metrics.recordDrawFinished(completed, 1);
    document = statusDocument(status, metrics.snapshot(), ProcessMetrics {}, 0);
    QCOMPARE(document[QLatin1String("draw")][QLatin1String("state")].toString(),
        QStringLiteral("completed"));
    QVERIFY(document[QLatin1String("draw")][QLatin1String("finished_at")].isString());
}

void TestAdminMetrics::readiness_data()
{
    QTest::addColumn<bool>("storageOpen");
    QTest::addColumn<bool>("listening");
    QTest::addColumn<bool>("shuttingDown");
    QTest::addColumn<QString>("failure");
    QTest::addColumn<QString>("reason"); // empty: ready

    QTest::newRow("ready") << true << true << false << ""
                           << "";
    QTest::newRow("shutting down") << true << false << true << ""
                                   << "shutting down";
    QTest::newRow("store closed") << false << true << false << ""
                                  << "storage is not open";
    QTest::newRow("storage failed") << true << true << false << "EIO"
                                    << "storage failed: EIO";
    QTest::newRow("not listening") << true << false << false << ""
                                   << "not listening for agencies";
}

void TestAdminMetrics::readiness()
{
    QFETCH(bool, storageOpen);
    QFETCH(bool, listening);
    QFETCH(bool, shuttingDown);
    QFETCH(QString, failure);
    QFETCH(QString, reason);
    StatusSnapshot status;
    status.storageOpen = storageOpen;
    status.listening = listening;
    status.shuttingDown = shuttingDown;
    ServerMetrics::Snapshot metrics;
    metrics.storageFailure = failure;
    const Readiness ready = lottery::server::readiness(status, metrics);
    QCOMPARE(ready.ready, reason.isEmpty());
    QCOMPARE(ready.reason, reason);
}

void TestAdminMetrics::tokens_data()
{
    QTest::addColumn<QByteArray>("presented");
    QTest::addColumn<bool>("equal");
    const QByteArray token = "0123456789abcdef0123456789abcdef";
    QTest::newRow("same") << token << true;
    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("prefix") << token.left(31) << false;
    QTest::newRow("longer") << token + 'x' << false;
    QTest::newRow("last byte differs") << token.left(31) + 'g' << false;
}

void TestAdminMetrics::tokens()
{
    QFETCH(QByteArray, presented);
    QFETCH(bool, equal);
    QCOMPARE(AdminServer::tokensEqual(presented, "0123456789abcdef0123456789abcdef"), equal);
}

void TestAdminMetrics::readerFramingAtEveryCut()
{
    // Three pipelined requests: a GET, a chunked POST with an extension and a trailer, a POST
    // with a 4 KiB body; fed in pieces of every size from 1 byte to all at once.
    const QByteArray chunked = QByteArray(2000, 'c') + QByteArray(96, 'd');
    const QByteArray body(4096, 'b');
    const QByteArray input
        = "\r\nGET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t\r\n\r\n"
          "POST /api/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
          "7d0;name=value\r\n"
        + chunked.left(2000) + "\r\n60\r\n" + chunked.mid(2000)
        + "\r\n0\r\nX-Trailer: t\r\n\r\n"
          "POST /%61pi/y HTTP/1.0\nContent-Length: 4096\nConnection: keep-alive\n\n"
        + body;
    for (const qsizetype piece : {1, 2, 3, 7, 100, 1000, 100000}) {
        AdminHttpLimits limits;
        HttpRequestReader reader(limits);
        QList<AdminHttpRequest> requests;
        QByteArray buffer;
        for (qsizetype at = 0; at < input.size(); at += piece) {
            buffer += input.mid(at, piece);
            for (;;) {
                const HttpRequestReader::Result result = reader.parse(buffer);
                QVERIFY2(result != HttpRequestReader::Result::Refused,
                    reader.refusalMessage().constData());
                if (result == HttpRequestReader::Result::NeedMore)
                    break;
                requests.append(reader.takeRequest());
            }
        }
        QCOMPARE(requests.size(), 3);
        QVERIFY(buffer.isEmpty());
        QCOMPARE(requests[0].method, QByteArray("GET"));
        QCOMPARE(requests[0].path, QStringLiteral("/metrics"));
        QCOMPARE(requests[0].header("authorization"), QByteArray("Bearer t"));
        QVERIFY(requests[0].keepAlive);
        QCOMPARE(requests[1].path, QStringLiteral("/api/x"));
        QCOMPARE(requests[1].body, chunked);
        QCOMPARE(requests[2].path, QStringLiteral("/api/y"));
        QCOMPARE(requests[2].minorVersion, 0);
        QVERIFY(requests[2].keepAlive);
        QCOMPARE(requests[2].body, body);
    }
}

void TestAdminMetrics::readerLimitsAtTheEdge_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status"); // 0: accepted

    const AdminHttpLimits limits;
    const QByteArray get = "GET / HTTP/1.1\r\n";
    // A header section of exactly maxHeaderBytes (request line and fields, without the last
    // empty line), then one byte more.
    const qsizetype fill = limits.maxHeaderBytes - get.size() - QByteArray("X: \r\n").size();
    QTest::newRow("head at the limit") << get + "X: " + QByteArray(fill, 'a') + "\r\n\r\n" << 0;
    QTest::newRow("head over") << get + "X: " + QByteArray(fill + 1, 'a') + "\r\n\r\n" << 431;
    QTest::newRow("head unfinished over")
        << get + "X: " + QByteArray(limits.maxHeaderBytes, 'a') << 431;
    QByteArray fields;
    for (int i = 0; i < limits.maxHeaderFields; ++i)
        fields += "F" + QByteArray::number(i) + ": v\r\n";
    QTest::newRow("fields at the limit") << get + fields + "\r\n" << 0;
    QTest::newRow("fields over") << get + fields + "G: v\r\n\r\n" << 431;
    const QByteArray max = QByteArray::number(limits.maxBodyBytes);
    QTest::newRow("Content-Length at the limit") << "POST / HTTP/1.1\r\nContent-Length: " + max
            + "\r\n\r\n" + QByteArray(limits.maxBodyBytes, 'b')
                                                 << 0;
    QTest::newRow("Content-Length over, no body sent") << "POST / HTTP/1.1\r\nContent-Length: "
            + QByteArray::number(limits.maxBodyBytes + 1)
            + "\r\n\r\n" << 413;
    QTest::newRow("Content-Length overflowing")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n") << 400;
    QTest::newRow("two different lengths")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab") << 400;
    QTest::newRow("chunks at the limit")
        << "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + QByteArray(2048, 'c')
            + "\r\n800\r\n" + QByteArray(2048, 'c') + "\r\n0\r\n\r\n"
        << 0;
    QTest::newRow("chunks over") << "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n"
            + QByteArray(2048, 'c')
            + "\r\n801\r\n" << 413;
    QTest::newRow("chunk size huge")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n") << 400;
    QTest::newRow("chunk longer than its size")
        << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n") << 400;
    QTest::newRow("endless chunk size line")
        << "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + QByteArray(300, '0') << 400;
    QTest::newRow("endless trailer")
        << "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "
            + QByteArray(limits.maxHeaderBytes, 't')
        << 431;
    QTest::newRow("smuggling: both framings") << QByteArray(
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: "
        "chunked\r\n\r\n0\r\n\r\n") << 400;
    QTest::newRow("other coding") << QByteArray(
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
                                  << 501;
    QTest::newRow("folded field") << QByteArray("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n") << 400;
    QTest::newRow("space before colon") << QByteArray("GET / HTTP/1.1\r\nX : a\r\n\r\n") << 400;
    QTest::newRow("HTTP/2") << QByteArray("GET / HTTP/2.0\r\n\r\n") << 505;
    QTest::newRow("no version") << QByteArray("GET /\r\n\r\n") << 400;
    QTest::newRow("other expectation")
        << QByteArray("POST / HTTP/1.1\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx") << 417;
}

void TestAdminMetrics::readerLimitsAtTheEdge()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    HttpRequestReader reader {AdminHttpLimits()};
    QByteArray buffer = request;
    const HttpRequestReader::Result result = reader.parse(buffer);
    if (status == 0) {
        QVERIFY2(
            result == HttpRequestReader::Result::Complete, reader.refusalMessage().constData());
        return;
    }
    QCOMPARE(result, HttpRequestReader::Result::Refused);
    QCOMPARE(reader.refusalStatus(), status);
    // Its answer carries the security headers like any other.
    const QByteArray answer = serializeResponse(
        AdminHttpResponse::text(status, reader.refusalMessage()), false, false, 1);
    QVERIFY(answer.contains("\r\nX-Frame-Options: DENY\r\n"));
    QVERIFY(answer.contains("\r\nConnection: close\r\n"));
}

void TestAdminMetrics::boardHandsOverAcrossThreads()
{
    // Eight threads ask at once; the board's thread (this one) takes one snapshot for all of
    // them, when its loop runs.
    std::atomic<int> taken {0};
    // On the heap: ThreadSanitizer would take its mutex for a destroyed one of an earlier test
    // at the same stack address (QMutex has no creation annotation).
    const auto owned = std::make_unique<StatusBoard>([&taken] {
        StatusSnapshot snapshot;
        snapshot.agenciesExpected = 7;
        snapshot.sessionsActive = ++taken;
        return snapshot;
    });
    StatusBoard &board = *owned;
    constexpr int kReaders = 8;
    std::atomic<int> finished {0};
    std::vector<StatusBoard::Reading> readings(kReaders);
    std::vector<std::thread> readers;
    for (int i = 0; i < kReaders; ++i) {
        readers.emplace_back([&board, &readings, &finished, i] {
            readings[static_cast<std::size_t>(i)] = board.read(60000, 60000);
            ++finished;
        });
    }
    QTRY_COMPARE_WITH_TIMEOUT(finished.load(), kReaders, 30000);
    for (std::thread &reader : readers)
        reader.join();
    QCOMPARE(taken.load(), 1);
    for (const StatusBoard::Reading &reading : readings) {
        QVERIFY(reading.fresh);
        QCOMPARE(reading.snapshot.agenciesExpected, 7u);
        QCOMPARE(reading.snapshot.sessionsActive, 1);
    }
}

void TestAdminMetrics::boardSaysStaleWhenItsThreadIsStuck()
{
    // The board's thread (this one) does not run its loop while the reader waits: the reader
    // gets the last snapshot, marked stale, after its wait.
    const auto owned = std::make_unique<StatusBoard>([] { return StatusSnapshot(); });
    StatusBoard &board = *owned;
    StatusBoard::Reading reading;
    std::thread reader([&board, &reading] { reading = board.read(60000, 200); });
    reader.join(); // blocks this thread: no publish() can run
    QVERIFY(!reading.fresh);
    QCOMPARE(reading.ageMs, qint64(-1)); // none was ever taken
    StatusSnapshot stale = reading.snapshot;
    stale.staleMs = std::max<qint64>(reading.ageMs, 1); // as AdminServer marks it
    stale.storageOpen = true;
    stale.listening = true;
    QVERIFY(!lottery::server::readiness(stale, ServerMetrics::Snapshot()).ready);
    // Closed (shutdown): a reader returns at once, whatever it asked.
    board.close();
    std::thread closed([&board, &reading] { reading = board.read(0, 60000); });
    closed.join();
    QVERIFY(!reading.fresh);
}

QTEST_GUILESS_MAIN(TestAdminMetrics)
#include "tst_admin_metrics.moc"
