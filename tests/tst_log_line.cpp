// LogLine, the log convention users grep for: the exact line it writes, values that would break
// the grammar, non-ASCII text, numbers at their limits, level filtering and bursts.
#include "common/log.h"
#include "common/log_rate_limiter.h"

#include <QRegularExpression>
#include <QTemporaryFile>
#include <QTest>

#include <cstdio>
#include <limits>
#include <unistd.h>

using namespace lottery;

namespace {

// Runs `body` with stdout going to a file and returns what it wrote.
template<typename Body> QByteArray captureStdout(Body body)
{
    QTemporaryFile file;
    if (!file.open())
        qFatal("no temporary file");
    std::fflush(stdout);
    const int saved = ::dup(1);
    ::dup2(file.handle(), 1);
    body();
    std::fflush(stdout);
    ::dup2(saved, 1);
    ::close(saved);
    file.seek(0);
    return file.readAll();
}

// The line without its "YYYY-MM-DD HH:MM:SS " prefix, after checking that prefix.
QByteArray withoutTimestamp(const QByteArray &line)
{
    static const QRegularExpression stamp(
        QStringLiteral("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d "));
    const QString text = QString::fromUtf8(line);
    if (!stamp.match(text).hasMatch())
        return "no timestamp: " + line;
    return line.mid(20);
}

} // namespace

class TestLogLine : public QObject
{
    Q_OBJECT

private slots:
    void init() { setLogLevel(LogLevel::Info); }

    void writesTheConvention()
    {
        const QByteArray out = captureStdout([] {
            LogLine(LogLevel::Info, u"apuesta_recibida", LogResult::Success)
                .field(u"cantidad", 120)
                .field(u"agency", 7u)
                .field(u"ip", QStringLiteral("127.0.0.1"))
                .field(u"ratio", 1.5);
        });
        QCOMPARE(withoutTimestamp(out),
            QByteArray(
                "INFO action: apuesta_recibida | result: success | cantidad: 120 | agency: 7 "
                "| ip: 127.0.0.1 | ratio: 1.500\n"));
    }

    void numbersAtTheirLimits()
    {
        const QByteArray out = captureStdout([] {
            LogLine(LogLevel::Warning, u"n", LogResult::InProgress)
                .field(u"min", std::numeric_limits<long long>::min())
                .field(u"max", std::numeric_limits<unsigned long long>::max())
                .field(u"zero", 0);
        });
        QCOMPARE(withoutTimestamp(out),
            QByteArray("WARNING action: n | result: in_progress | min: -9223372036854775808 | max: "
                       "18446744073709551615 | zero: 0\n"));
    }

    void valuesNeverBreakTheLine()
    {
        const QByteArray out = captureStdout([] {
            LogLine(LogLevel::Error, u"sesion", LogResult::Fail)
                .field(u"error", QStringLiteral("a|b\nc\rd"))
                .field(u"k|ey", u"v")
                .field(u"code", "x|y\r\nz") // a C string: UTF-8, the same rules
                .field(u"none", static_cast<const char *>(nullptr));
        });
        QCOMPARE(withoutTimestamp(out),
            QByteArray("ERROR action: sesion | result: fail | error: a/b c d | k/ey: v | code: "
                       "x/y  z | none: \n"));
    }

    void nonAsciiIsUtf8AndSanitizedToo()
    {
        const QByteArray out = captureStdout([] {
            LogLine(LogLevel::Info, u"hello", LogResult::Success)
                .field(u"nombre", QStringLiteral("Peña | Müller\n"))
                .field(u"c", "ñ");
        });
        QCOMPARE(withoutTimestamp(out),
            QByteArray("INFO action: hello | result: success | nombre: Pe\xc3\xb1"
                       "a / M\xc3\xbcller  | c: \xc3\xb1\n"));
    }

    void linesBelowTheLevelAreNotWritten()
    {
        const QByteArray out = captureStdout([] {
            LogLine(LogLevel::Debug, u"hidden", LogResult::Success).field(u"k", 1);
            setLogLevel(LogLevel::Debug);
            LogLine(LogLevel::Debug, u"shown", LogResult::Success);
        });
        QCOMPARE(withoutTimestamp(out), QByteArray("DEBUG action: shown | result: success\n"));
    }

    // LogRateLimiter: a burst, then the refill rate; what it drops is counted and reported in
    // one log_rate_limited line before the next line it lets through, or at flush().
    void rateLimiterCountsAndReportsWhatItSuppresses()
    {
        LogRateLimiter limiter(QStringLiteral("prueba"), LogLevel::Error, 3, 1);
        int allowed = 0;
        const QByteArray out = captureStdout([&] {
            for (int i = 0; i < 10; ++i)
                allowed += limiter.allow() ? 1 : 0;
            limiter.flush();
            limiter.flush(); // nothing more to report
        });
        // 3 in the burst (the 1-per-second refill adds none in a few microseconds, or one).
        QVERIFY2(allowed == 3 || allowed == 4, qPrintable(QString::number(allowed)));
        const quint64 suppressed = static_cast<quint64>(10 - allowed);
        QCOMPARE(limiter.suppressedTotal(), suppressed);
        QCOMPARE(withoutTimestamp(out),
            QByteArray("ERROR action: log_rate_limited | result: success | for: prueba | "
                       "suppressed: ")
                + QByteArray::number(suppressed) + " | burst: 3 | per_second: 1\n");
        bool listed = false;
        for (const auto &[action, total] : LogRateLimiter::suppressedTotals())
            listed = listed || (action == QStringLiteral("prueba") && total == suppressed);
        QVERIFY(listed);
        // Refilled (1 a second): the next line is let through, no report is pending.
        bool letThrough = false; // QTRY evaluates its condition once more at the end
        QTRY_VERIFY_WITH_TIMEOUT(letThrough || (letThrough = limiter.allow()), 3000);
    }

    void aBurstWritesWholeLinesInOrder()
    {
        const QByteArray out = captureStdout([] {
            LogBurst burst;
            for (int i = 0; i < 300; ++i)
                LogLine(LogLevel::Info, u"a", LogResult::Success).field(u"i", i);
            std::fflush(stdout);
            // Nothing is out before the burst ends.
            QCOMPARE(::lseek(1, 0, SEEK_CUR), off_t(0));
        });
        const QList<QByteArray> lines = out.split('\n');
        QCOMPARE(lines.size(), 301); // 300 lines and what follows the last newline
        for (int i = 0; i < 300; ++i)
            QCOMPARE(withoutTimestamp(lines[i] + '\n'),
                "INFO action: a | result: success | i: " + QByteArray::number(i) + '\n');
        QVERIFY(lines.last().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestLogLine)
#include "tst_log_line.moc"
