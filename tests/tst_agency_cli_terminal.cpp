// agency-cli as a person at a terminal sees it and as Docker or a pipe sees it: the real program
// against a real lottery-server on loopback, its stderr (and stdout) on a pseudo-terminal made
// with openpty(), or on pipes. With a terminal: one progress line redrawn in place (\r, clear to
// the end of the line), never wider than the terminal, then the translated summary. Without one,
// or with --no-progress: nothing but the log lines, the same as always. Every reason a row of
// the file is not sent reaches the person in their language (the agency library's catalog),
// the log lines keep it in English.
#include "support/invalid_rows.h"
#include "support/program_runner.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

using namespace lottery::testing;

namespace {

constexpr int kTimeoutMs = 60000;
const QRegularExpression kLogLine(
    QStringLiteral("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [A-Z]+ action: [a-z_]+ \\| result: "
                   "(success|fail|in_progress)( \\| [A-Za-z0-9_]+: [^|]*)*$"));

// A pseudo-terminal of `columns` columns; the child gets the slave side, the test reads the master.
class Pty
{
public:
    explicit Pty(int columns)
    {
        winsize size {};
        size.ws_col = static_cast<unsigned short>(columns);
        size.ws_row = 24;
        m_ok = ::openpty(&m_master, &m_slave, nullptr, nullptr, &size) == 0;
        if (m_ok)
            ::fcntl(m_master, F_SETFL, ::fcntl(m_master, F_GETFL) | O_NONBLOCK);
    }
    ~Pty()
    {
        if (m_ok) {
            ::close(m_master);
            if (m_slave >= 0)
                ::close(m_slave);
        }
    }
    bool ok() const { return m_ok; }
    int slave() const { return m_slave; }
    int master() const { return m_master; }
    void closeSlave()
    {
        ::close(m_slave);
        m_slave = -1;
    }
    void drain()
    {
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(m_master, buffer, sizeof buffer);
            if (n > 0) {
                m_output.append(buffer, n);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            return; // EAGAIN: nothing now; EIO: the child side is closed
        }
    }
    QByteArray output() const { return m_output; }

private:
    int m_master = -1;
    int m_slave = -1;
    bool m_ok = false;
    QByteArray m_output;
};

struct Run {
    int exitCode = -1;
    QByteArray stdoutBytes; // the pipe, when stdout was not the terminal
    QByteArray stderrBytes; // the pipe, when stderr was not the terminal
    QByteArray terminal; // what the terminal received
};

enum class Wiring { Pipes, StderrOnTerminal, BothOnTerminal };

Run runAgency(const QStringList &arguments, Wiring wiring, int columns = 80,
    const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
{
    Run run;
    Pty pty(columns);
    if (wiring != Wiring::Pipes && !pty.ok())
        return run;
    QProcess process;
    process.setProgram(binaryPath(QStringLiteral("agency-cli")));
    process.setArguments(arguments);
    process.setProcessEnvironment(environment);
    const int slave = pty.slave();
    if (wiring != Wiring::Pipes) {
        process.setChildProcessModifier([slave, wiring] {
            ::dup2(slave, STDERR_FILENO);
            if (wiring == Wiring::BothOnTerminal)
                ::dup2(slave, STDOUT_FILENO);
        });
    }
    std::unique_ptr<QSocketNotifier> notifier;
    if (wiring != Wiring::Pipes) {
        notifier = std::make_unique<QSocketNotifier>(pty.master(), QSocketNotifier::Read);
        QObject::connect(notifier.get(), &QSocketNotifier::activated, [&pty] { pty.drain(); });
    }
    process.start();
    if (!process.waitForStarted(kTimeoutMs))
        return run;
    if (wiring != Wiring::Pipes)
        pty.closeSlave(); // only the child holds it now: EIO once it exits
    QDeadlineTimer deadline(kTimeoutMs);
    while (process.state() != QProcess::NotRunning && !deadline.hasExpired())
        QTest::qWait(20); // the notifier drains the terminal meanwhile
    if (wiring != Wiring::Pipes) {
        notifier.reset();
        pty.drain();
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.stdoutBytes = process.readAllStandardOutput();
    run.stderrBytes = process.readAllStandardError();
    run.terminal = pty.output();
    return run;
}

// The lines of `bytes`; with `onlyLogLines`, fails unless every one is a log line.
QStringList lines(const QByteArray &bytes)
{
    QStringList result = QString::fromUtf8(bytes).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (QString &line : result)
        line.remove(QLatin1Char('\r'));
    return result;
}

bool allLogLines(const QByteArray &bytes, QString *bad)
{
    for (const QString &line : lines(bytes)) {
        if (!kLogLine.match(line).hasMatch()) {
            *bad = line;
            return false;
        }
    }
    return true;
}

// The English words a Spanish terminal shows (paths, addresses and numbers left out); empty
// when none. The words are English only: Spanish never writes them.
QStringList englishWordsIn(const QByteArray &terminal)
{
    static const QStringList english {QStringLiteral("the"), QStringLiteral("and"),
        QStringLiteral("of"), QStringLiteral("to"), QStringLiteral("is"), QStringLiteral("not"),
        QStringLiteral("could"), QStringLiteral("cannot"), QStringLiteral("connect"),
        QStringLiteral("server"), QStringLiteral("bets"), QStringLiteral("bet"),
        QStringLiteral("stored"), QStringLiteral("sent"), QStringLiteral("left"),
        QStringLiteral("unknown"), QStringLiteral("winners"), QStringLiteral("winner"),
        QStringLiteral("detail"), QStringLiteral("upload"), QStringLiteral("failed"),
        QStringLiteral("file"), QStringLiteral("within"), QStringLiteral("attempts"),
        QStringLiteral("refused"), QStringLiteral("connection"), QStringLiteral("draw"),
        QStringLiteral("waiting"), QStringLiteral("invalid"), QStringLiteral("rows"),
        QStringLiteral("finishing"), QStringLiteral("time"), QStringLiteral("agency")};
    static const QRegularExpression names(QStringLiteral("\\S*[/:]\\S*|\\x1b\\[K"));
    static const QRegularExpression nonLetters(QStringLiteral("[^\\p{L}]+"));
    QStringList found;
    QString text = QString::fromUtf8(terminal);
    text.replace(names, QStringLiteral(" "));
    for (const QString &word : text.toLower().split(nonLetters, Qt::SkipEmptyParts)) {
        if (english.contains(word) && !found.contains(word))
            found << word;
    }
    return found;
}

// Every redraw of the progress line: "\r", the text, "clear to the end of the line".
QStringList redraws(const QByteArray &terminal)
{
    static const QRegularExpression redraw(QStringLiteral("\r([^\r\n\x1b]*)\x1b\\[K"));
    QStringList result;
    auto it = redraw.globalMatch(QString::fromUtf8(terminal));
    while (it.hasNext()) {
        const QString text = it.next().captured(1);
        if (!text.isEmpty())
            result << text;
    }
    return result;
}

// Log lines without their timestamps and the summary's timing fields, to compare two runs.
QStringList comparable(const QByteArray &bytes)
{
    static const QRegularExpression varying(QStringLiteral(
        "\\| (ack_p50_ms|ack_p99_ms|ack_max_ms|segundos|vmhwm_kib|port|pid|elapsed_ms|ms|"
        "duracion_ms|latencia_ms): [^|]*"));
    QStringList result;
    for (QString line : lines(bytes)) {
        line = line.mid(20); // "YYYY-MM-DD HH:MM:SS "
        line.replace(varying, QStringLiteral("| \\1: X"));
        result << line;
    }
    return result;
}

} // namespace

class TestAgencyCliTerminal : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void progressOnTerminal_data();
    void progressOnTerminal();
    void progressLineSteady_data();
    void progressLineSteady();
    void withoutTerminalOnlyLogLines_data();
    void withoutTerminalOnlyLogLines();
    void badSettingsOnTerminalAreTranslated();
    void failureOnTerminalIsTranslated_data();
    void failureOnTerminalIsTranslated();
    void helpIsForAPersonEvenOnAPipe_data();
    void helpIsForAPersonEvenOnAPipe();
    void invalidRowsInTheLanguage_data();
    void invalidRowsInTheLanguage();

private:
    QTemporaryDir m_dir;
    QString m_file;
    int m_winners = 0;
};

void TestAgencyCliTerminal::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_file = m_dir.filePath(QStringLiteral("agency-1.csv"));
    QVERIFY(writeAgencyFile(m_file, 1, 20000, 97));
    m_winners = countWinnersInFile(m_file);
    QVERIFY(m_winners > 0);
}

void TestAgencyCliTerminal::progressOnTerminal_data()
{
    QTest::addColumn<QString>("language");
    QTest::addColumn<int>("columns");
    QTest::addColumn<bool>("stdoutOnTerminal");
    QTest::addColumn<QString>("rateWord");
    QTest::addColumn<QString>("summaryWord");

    QTest::newRow("spanish, 80 columns, log to a pipe") << "es" << 80 << false << "apuestas/s"
                                                        << "ganadores";
    QTest::newRow("english, 80 columns, log to a pipe") << "en" << 80 << false << "bets/s"
                                                        << "winners";
    QTest::newRow("spanish, 40 columns, both on the terminal") << "es" << 40 << true << "apuestas/s"
                                                               << "ganadores";
}

void TestAgencyCliTerminal::progressOnTerminal()
{
    QFETCH(QString, language);
    QFETCH(int, columns);
    QFETCH(bool, stdoutOnTerminal);
    QFETCH(QString, rateWord);
    QFETCH(QString, summaryWord);

    ServerProcess server;
    QVERIFY(server.start(
        1, m_dir.filePath(QStringLiteral("bets-%1-%2.csv").arg(language).arg(columns))));
    // Small batches and window: the upload lasts several redraws.
    const Run run = runAgency(
        {QStringLiteral("--agency"), QStringLiteral("1"), QStringLiteral("--server"),
            server.address(), QStringLiteral("--file"), m_file, QStringLiteral("--batch-max"),
            QStringLiteral("5"), QStringLiteral("--window"), QStringLiteral("2"),
            QStringLiteral("--lang"), language},
        stdoutOnTerminal ? Wiring::BothOnTerminal : Wiring::StderrOnTerminal, columns);
    QCOMPARE(run.exitCode, 0);

    // The bar is redrawn in place: carriage returns and clear-to-end-of-line, no scrolling.
    QVERIFY2(run.terminal.contains("\r"), run.terminal.constData());
    QVERIFY2(run.terminal.contains("\x1b[K"), run.terminal.constData());
    const QStringList shown = redraws(run.terminal);
    int barLines = 0;
    for (const QString &line : shown) {
        QVERIFY2(line.size() < columns,
            qPrintable(QStringLiteral("wider than %1: '%2'").arg(columns).arg(line)));
        if (line.contains(rateWord))
            ++barLines;
        // A person's terminal never gets a log line when the bar is on it.
        QVERIFY2(!line.contains(QLatin1String("action: ")), qPrintable(line));
    }
    QVERIFY2(barLines >= 1, run.terminal.constData());
    // The summary names the winners in the chosen language.
    QVERIFY2(QString::fromUtf8(run.terminal).contains(summaryWord), run.terminal.constData());
    QVERIFY2(QString::fromUtf8(run.terminal).contains(QString::number(m_winners)),
        run.terminal.constData());

    if (stdoutOnTerminal) {
        QVERIFY(run.stdoutBytes.isEmpty());
    } else {
        // The log still goes where stdout points (a file, a pipe), whole and unchanged.
        QString bad;
        QVERIFY2(allLogLines(run.stdoutBytes, &bad), qPrintable(bad));
        QVERIFY(run.stdoutBytes.contains(
            QStringLiteral("action: consulta_ganadores | result: success | cant_ganadores: %1")
                .arg(m_winners)
                .toUtf8()));
    }
    QVERIFY(server.terminate());
}

void TestAgencyCliTerminal::progressLineSteady_data()
{
    QTest::addColumn<QString>("language");
    QTest::addColumn<int>("columns");
    QTest::addColumn<QString>("rateWord");
    QTest::addColumn<QString>("leftWord");
    QTest::addColumn<QString>("finishingWord");
    for (const int columns : {80, 100, 120}) {
        QTest::addRow("spanish, %d columns", columns) << "es" << columns << "apuestas/s"
                                                      << "faltan"
                                                      << "terminando";
    }
    QTest::newRow("english, 80 columns") << "en" << 80 << "bets/s"
                                         << "left"
                                         << "finishing";
}

// A slow upload (one batch of 5 bets in flight at a time, each synced slowly), watched
// redraw by redraw: while sending, every line starts with the bar, whose size never changes,
// whose cells and percentage never go back, which is full only at 100 %; the same parts on
// every line (nothing comes and goes); and once a rate is shown, the time left with it.
void TestAgencyCliTerminal::progressLineSteady()
{
    QFETCH(QString, language);
    QFETCH(int, columns);
    QFETCH(QString, rateWord);
    QFETCH(QString, leftWord);
    QFETCH(QString, finishingWord);

    // 600 batches, one in flight at a time, each held 5 ms in every fdatasync of the server
    // (strace): several seconds whatever the machine, so there are many redraws to check.
    const QString strace = QStandardPaths::findExecutable(QStringLiteral("strace"));
    QVERIFY2(!strace.isEmpty(), "strace is needed (apt-get install strace)");
    const QString file = m_dir.filePath(QStringLiteral("steady.csv"));
    if (!QFile::exists(file))
        QVERIFY(writeAgencyFile(file, 1, 3000, 97));
    // LeakSanitizer cannot run under ptrace: it would fail an ASan build's server at exit.
    const QByteArray asanOptions = qgetenv("ASAN_OPTIONS");
    qputenv("ASAN_OPTIONS",
        (asanOptions.isEmpty() ? QByteArray() : asanOptions + ':') + "detect_leaks=0");
    ServerProcess server;
    server.setWrapper({strace, QStringLiteral("-f"), QStringLiteral("-qq"), QStringLiteral("-o"),
        QStringLiteral("/dev/null"), QStringLiteral("-e"),
        QStringLiteral("inject=fdatasync:delay_enter=5000")});
    const bool started = server.start(
        1, m_dir.filePath(QStringLiteral("steady-%1-%2.csv").arg(language).arg(columns)));
    if (asanOptions.isEmpty())
        qunsetenv("ASAN_OPTIONS");
    else
        qputenv("ASAN_OPTIONS", asanOptions);
    QVERIFY(started);
    const Run run = runAgency(
        {QStringLiteral("--agency"), QStringLiteral("1"), QStringLiteral("--server"),
            server.address(), QStringLiteral("--file"), file, QStringLiteral("--batch-max"),
            QStringLiteral("5"), QStringLiteral("--window"), QStringLiteral("1"),
            QStringLiteral("--lang"), language},
        Wiring::StderrOnTerminal, columns);
    QVERIFY(server.terminate());
    QCOMPARE(run.exitCode, 0);

    static const QRegularExpression sending(QStringLiteral("^\\[([#-]+)\\] +(\\d+) %(.*)$"));
    // The rate, then the time left: "12.345 apuestas/s · faltan 0:42" (or "... left").
    const QRegularExpression rate(
        QStringLiteral("(\\d[\\d.,]*) %1").arg(QRegularExpression::escape(rateWord)));
    const QRegularExpression estimate(language == QLatin1String("es")
            ? QStringLiteral("%1 \\d+:\\d\\d|%2").arg(leftWord, finishingWord)
            : QStringLiteral("\\d+:\\d\\d %1|%2").arg(leftWord, finishingWord));
    const QStringList shown = redraws(run.terminal);
    int sendingLines = 0;
    int withRate = 0;
    qsizetype barWidth = -1;
    int lastFilled = 0;
    int lastPercent = 0;
    qsizetype parts = -1;
    bool sendingStarted = false;
    bool sendingEnded = false;
    for (const QString &line : shown) {
        QVERIFY2(line.size() < columns,
            qPrintable(QStringLiteral("wider than %1: '%2'").arg(columns).arg(line)));
        const QRegularExpressionMatch match = sending.match(line);
        const bool isSending = line.contains(rateWord);
        if (!isSending) {
            if (sendingStarted)
                sendingEnded = true;
            continue;
        }
        // Sending lines come in one run, between connecting and waiting for the draw.
        QVERIFY2(!sendingEnded, qPrintable(line));
        sendingStarted = true;
        ++sendingLines;
        QVERIFY2(match.hasMatch(), qPrintable(QStringLiteral("no bar: '%1'").arg(line)));
        const QString cells = match.captured(1);
        const int percent = match.captured(2).toInt();
        const int filled = static_cast<int>(cells.count(QLatin1Char('#')));
        if (barWidth < 0)
            barWidth = cells.size();
        QCOMPARE(cells.size(), barWidth);
        QVERIFY2(cells
                == QString(filled, QLatin1Char('#')) + QString(barWidth - filled, QLatin1Char('-')),
            qPrintable(line));
        QVERIFY2(filled >= lastFilled && percent >= lastPercent, qPrintable(line));
        QVERIFY2(filled < barWidth || percent == 100, qPrintable(line));
        QVERIFY2(percent <= 100, qPrintable(line));
        lastFilled = filled;
        lastPercent = percent;
        const qsizetype lineParts = match.captured(3).count(QStringLiteral(" · ")) + 1;
        if (parts < 0)
            parts = lineParts;
        QVERIFY2(lineParts == parts,
            qPrintable(
                QStringLiteral("%1 parts, not %2: '%3'").arg(lineParts).arg(parts).arg(line)));
        const QRegularExpressionMatch shownRate = rate.match(line);
        QVERIFY2(shownRate.hasMatch(), qPrintable(line));
        if (shownRate.captured(1) != QLatin1String("0")) {
            ++withRate;
            QVERIFY2(estimate.match(line).hasMatch(),
                qPrintable(QStringLiteral("a rate without the time left: '%1'").arg(line)));
        }
    }
    if (language == QLatin1String("es")) {
        const QStringList english = englishWordsIn(run.terminal);
        QVERIFY2(english.isEmpty(), qPrintable(english.join(QLatin1Char(' '))));
    }
    // Slow enough for many redraws, and the bar took them all in.
    QVERIFY2(sendingLines >= 10, run.terminal.constData());
    QVERIFY2(withRate >= 5, run.terminal.constData());
    QVERIFY2(barWidth >= 10, run.terminal.constData());
    QVERIFY2(lastPercent >= 90, run.terminal.constData());
}

void TestAgencyCliTerminal::withoutTerminalOnlyLogLines_data()
{
    QTest::addColumn<bool>("terminalWithNoProgress");
    QTest::newRow("pipes (Docker, a pipe)") << false;
    QTest::newRow("stderr on a terminal, --no-progress") << true;
}

void TestAgencyCliTerminal::withoutTerminalOnlyLogLines()
{
    QFETCH(bool, terminalWithNoProgress);

    // The reference: exactly what the program wrote before it knew about terminals, the log
    // lines on stdout and nothing on stderr, in English even when the system is Spanish.
    ServerProcess reference;
    QVERIFY(reference.start(
        1, m_dir.filePath(QStringLiteral("ref-%1.csv").arg(terminalWithNoProgress))));
    qputenv("LANG", "es_AR.UTF-8");
    QStringList arguments {QStringLiteral("--agency"), QStringLiteral("1"),
        QStringLiteral("--server"), reference.address(), QStringLiteral("--file"), m_file};
    const Run piped = runAgency(arguments, Wiring::Pipes);
    QVERIFY(reference.terminate());

    ServerProcess server;
    QVERIFY(server.start(
        1, m_dir.filePath(QStringLiteral("other-%1.csv").arg(terminalWithNoProgress))));
    arguments[3] = server.address();
    if (terminalWithNoProgress)
        arguments << QStringLiteral("--no-progress");
    const Run run
        = runAgency(arguments, terminalWithNoProgress ? Wiring::StderrOnTerminal : Wiring::Pipes);
    qunsetenv("LANG");
    QVERIFY(server.terminate());

    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.stderrBytes.isEmpty(), run.stderrBytes.constData());
    QVERIFY2(run.terminal.isEmpty(), run.terminal.constData());
    QString bad;
    QVERIFY2(allLogLines(run.stdoutBytes, &bad), qPrintable(bad));
    QVERIFY(run.stdoutBytes.contains(
        QStringLiteral("action: consulta_ganadores | result: success | cant_ganadores: %1")
            .arg(m_winners)
            .toUtf8()));
    // The same lines, in the same order, as the plain piped run.
    QCOMPARE(comparable(run.stdoutBytes).size(), comparable(piped.stdoutBytes).size());
    QCOMPARE(comparable(run.stdoutBytes).filter(QStringLiteral("action: config")).size(), 1);
    QVERIFY(piped.stderrBytes.isEmpty());
}

void TestAgencyCliTerminal::badSettingsOnTerminalAreTranslated()
{
    const Run spanish = runAgency({QStringLiteral("--agency"), QStringLiteral("0"),
                                      QStringLiteral("--lang"), QStringLiteral("es")},
        Wiring::StderrOnTerminal);
    QCOMPARE(spanish.exitCode, 2);
    QVERIFY2(QString::fromUtf8(spanish.terminal)
                 .contains(QString::fromUtf8("no es un número de agencia")),
        spanish.terminal.constData());
    // The log line keeps its English text: it is an interface.
    QVERIFY2(spanish.stdoutBytes.contains(
                 "action: config | result: fail | error: --agency: '0' is not an agency number"),
        spanish.stdoutBytes.constData());

    const Run piped = runAgency({QStringLiteral("--agency"), QStringLiteral("0"),
                                    QStringLiteral("--lang"), QStringLiteral("es")},
        Wiring::Pipes);
    QCOMPARE(piped.exitCode, 2);
    QVERIFY(piped.stderrBytes.isEmpty());
    QString bad;
    QVERIFY2(allLogLines(piped.stdoutBytes, &bad), qPrintable(bad));
}

void TestAgencyCliTerminal::failureOnTerminalIsTranslated_data()
{
    QTest::addColumn<QString>("language");
    QTest::addColumn<QString>("title");
    QTest::addColumn<QString>("explanation");
    QTest::addColumn<QString>("detail");
    QTest::newRow("spanish") << "es_AR"
                             << QString::fromUtf8("Falló la subida: No se llega al servidor.")
                             << QString::fromUtf8("El servidor no responde. Revise la dirección y "
                                                  "el puerto, y que el servidor esté funcionando.")
                             << QString::fromUtf8(
                                    "Detalle: servidor 127.0.0.1:1; se rechazó la "
                                    "conexión: nada escucha en esa dirección y puerto");
    QTest::newRow("english") << "en"
                             << "The upload failed: Server unreachable."
                             << "The server does not answer. Check the address and port, and that "
                                "the server is running."
                             << "Detail: server 127.0.0.1:1; the connection was refused: "
                                "nothing listens at that address and port";
}

// The summary of a failed upload: the agency library's title and sentence for the failure (the
// same as agency-gui's), then the facts (the servers tried, the socket's error) in the same
// language; the library's English message stays in the log lines.
void TestAgencyCliTerminal::failureOnTerminalIsTranslated()
{
    QFETCH(QString, language);
    QFETCH(QString, title);
    QFETCH(QString, explanation);
    QFETCH(QString, detail);
    // Nothing listens on port 1 of the loopback: refused until the connect timeout.
    const Run run
        = runAgency({QStringLiteral("--agency"), QStringLiteral("1"), QStringLiteral("--server"),
                        QStringLiteral("127.0.0.1:1"), QStringLiteral("--file"), m_file,
                        QStringLiteral("--connect-timeout"), QStringLiteral("1"),
                        QStringLiteral("--lang"), language},
            Wiring::StderrOnTerminal);
    QCOMPARE(run.exitCode, 1);
    const QString terminal = QString::fromUtf8(run.terminal);
    QVERIFY2(terminal.contains(title + QLatin1String("\r\n") + explanation + QLatin1String("\r\n")
                 + detail + QLatin1String("\r\n")),
        qPrintable(terminal));
    if (language != QLatin1String("en")) {
        const QStringList english = englishWordsIn(run.terminal);
        QVERIFY2(english.isEmpty(), qPrintable(english.join(QLatin1Char(' '))));
    }
    // The library's English message ("could not connect to ...") is only in the log lines.
    QVERIFY2(!terminal.contains(QLatin1String("could not connect")), qPrintable(terminal));
    QVERIFY2(run.stdoutBytes.contains("could not connect"), run.stdoutBytes.constData());
}

void TestAgencyCliTerminal::helpIsForAPersonEvenOnAPipe_data()
{
    QTest::addColumn<QString>("language");
    QTest::addColumn<QString>("usage"); // Qt's own string (qtbase_es.qm)
    QTest::addColumn<QString>("option"); // the program's
    QTest::newRow("spanish") << "es_AR"
                             << "Uso: "
                             << "Muestra esta ayuda.";
    QTest::newRow("english") << "en"
                             << "Usage: "
                             << "Show this help.";
}

// `docker run ... --help` and `agency-cli --help | less` have no terminal on stderr.
void TestAgencyCliTerminal::helpIsForAPersonEvenOnAPipe()
{
    QFETCH(QString, language);
    QFETCH(QString, usage);
    QFETCH(QString, option);
    const Run run
        = runAgency({QStringLiteral("--lang"), language, QStringLiteral("--help")}, Wiring::Pipes);
    QCOMPARE(run.exitCode, 0);
    const QString help = QString::fromUtf8(run.stdoutBytes);
    QVERIFY2(help.startsWith(usage), qPrintable(help));
    QVERIFY2(help.contains(option), qPrintable(help));
    QVERIFY(run.stderrBytes.isEmpty());
}

void TestAgencyCliTerminal::invalidRowsInTheLanguage_data()
{
    QTest::addColumn<QString>("langArgument"); // empty: none
    QTest::addColumn<QString>("langVariable");
    QTest::addColumn<bool>("spanish");
    QTest::addColumn<int>("first"); // of invalidRowCases()
    QTest::addColumn<int>("count");

    // The terminal lists the first 10 invalid rows of a run: the cases in runs of at most 10,
    // of more than one each (the summary's plural form).
    const int cases = static_cast<int>(invalidRowCases().size());
    const int kListed = (cases + 2) / 3;
    QVERIFY(kListed <= 10 && cases % kListed != 1);
    struct Language {
        const char *name;
        const char *argument;
        const char *variable;
        bool spanish;
    };
    for (const Language &language : {Language {"--lang es_AR", "es_AR", "C.UTF-8", true},
             Language {"LANG=es_AR.UTF-8", "", "es_AR.UTF-8", true},
             Language {"--lang en on a Spanish system", "en", "es_AR.UTF-8", false}}) {
        for (int first = 0; first < cases; first += kListed) {
            const int count = std::min(kListed, cases - first);
            QTest::addRow("%s, cases %d-%d", language.name, first + 1, first + count)
                << QString::fromLatin1(language.argument) << QString::fromLatin1(language.variable)
                << language.spanish << first << count;
        }
    }
}

void TestAgencyCliTerminal::invalidRowsInTheLanguage()
{
    QFETCH(QString, langArgument);
    QFETCH(QString, langVariable);
    QFETCH(bool, spanish);
    QFETCH(int, first);
    QFETCH(int, count);

    const QList<InvalidRowCase> cases = invalidRowCases().mid(first, count);
    const QString file = m_dir.filePath(QStringLiteral("invalid-%1.csv").arg(first));
    QVERIFY(writeInvalidRowsFile(file, cases));
    ServerProcess server;
    QVERIFY(server.start(1,
        m_dir.filePath(QStringLiteral("bets-invalid-%1-%2-%3.csv")
                           .arg(langArgument, langVariable)
                           .arg(first))));
    // One valid row and many invalid ones: a suspicious file (docs/PROTOCOL.md 10.9), sent on
    // purpose here.
    QStringList arguments {QStringLiteral("--agency"), QStringLiteral("1"),
        QStringLiteral("--server"), server.address(), QStringLiteral("--file"), file,
        QStringLiteral("--accept-suspicious-file")};
    if (!langArgument.isEmpty())
        arguments << QStringLiteral("--lang") << langArgument;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"LANGUAGE", "LC_ALL", "LC_MESSAGES"})
        environment.remove(QString::fromLatin1(name));
    environment.insert(QStringLiteral("LANG"), langVariable);
    const Run run = runAgency(arguments, Wiring::StderrOnTerminal, 200, environment);
    QVERIFY(server.terminate());
    QCOMPARE(run.exitCode, 2); // some rows were invalid, everything else succeeded

    const QString terminal = QString::fromUtf8(run.terminal);
    const QString lineText = spanish ? QString::fromUtf8("Línea %1 no enviada: %2")
                                     : QStringLiteral("Line %1 not sent: %2");
    for (int i = 0; i < cases.size(); ++i) {
        const InvalidRowCase &c = cases.at(i);
        const qint64 line = i + 2; // after the file's first, valid row
        const QString shown = lineText.arg(line).arg(spanish ? c.spanish : c.english);
        QVERIFY2(terminal.contains(shown + QLatin1String("\r\n")),
            qPrintable(QStringLiteral("'%1' not in:\n%2").arg(shown, terminal)));
        if (spanish) {
            // Neither the library's English reason nor its English sentence.
            QVERIFY2(!terminal.contains(c.reason), qPrintable(c.reason));
            QVERIFY2(!terminal.contains(c.english), qPrintable(c.english));
        }
        // The log line is an interface: the reason in English, as always.
        const QString logged
            = QStringLiteral("action: apuesta_invalida | result: fail | linea: %1 | error: %2")
                  .arg(line)
                  .arg(c.reason);
        QVERIFY2(QString::fromUtf8(run.stdoutBytes).contains(logged), qPrintable(logged));
    }
    const QString summary = spanish
        ? QString::fromUtf8("%1 filas inválidas del archivo no se enviaron").arg(cases.size())
        : QStringLiteral("%1 invalid rows of the file were not sent").arg(cases.size());
    QVERIFY2(terminal.contains(summary), qPrintable(terminal));
    QString bad;
    QVERIFY2(allLogLines(run.stdoutBytes, &bad), qPrintable(bad));
}

QTEST_GUILESS_MAIN(TestAgencyCliTerminal)
#include "tst_agency_cli_terminal.moc"
