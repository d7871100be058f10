// agency-gui without a display (over SSH, in a container, on a server): `--help` prints the help
// and exits 0, in either language, and a bad command line is a configuration error (exit 2), both
// before the window system is needed. The real program, with DISPLAY, WAYLAND_DISPLAY and
// QT_QPA_PLATFORM removed from its environment (Qt aborts without a display when it needs one).
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestAgencyGuiNoDisplay : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void help_data();
    void help();
    void badCommandLine_data();
    void badCommandLine();

private:
    struct Run {
        int exitCode = -1;
        QProcess::ExitStatus exitStatus = QProcess::CrashExit;
        QByteArray out;
        QByteArray err;
    };
    Run run(const QStringList &arguments, const QString &lang = QStringLiteral("C.UTF-8"));

    QTemporaryDir m_config; // its own settings: never the user's remembered language
};

void TestAgencyGuiNoDisplay::initTestCase()
{
    QVERIFY(m_config.isValid());
}

TestAgencyGuiNoDisplay::Run TestAgencyGuiNoDisplay::run(
    const QStringList &arguments, const QString &lang)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char *variable :
        {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "LANGUAGE", "LC_ALL", "LC_MESSAGES"})
        environment.remove(QString::fromLatin1(variable));
    environment.insert(QStringLiteral("LANG"), lang);
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), m_config.path());
    QProcess gui;
    gui.setProcessEnvironment(environment);
    gui.start(QStringLiteral(LOTTERY_BIN_DIR "/agency-gui"), arguments);
    Run result;
    if (!gui.waitForFinished(30000)) {
        gui.kill();
        gui.waitForFinished();
    }
    result.exitCode = gui.exitCode();
    result.exitStatus = gui.exitStatus();
    result.out = gui.readAllStandardOutput();
    result.err = gui.readAllStandardError();
    return result;
}

void TestAgencyGuiNoDisplay::help_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("lang"); // LANG
    QTest::addColumn<QByteArray>("expected"); // in the help

    QTest::newRow("--help") << QStringList {"--help"} << "C.UTF-8" << QByteArray("Usage:");
    QTest::newRow("-h") << QStringList {"-h"} << "C.UTF-8" << QByteArray("Usage:");
    QTest::newRow("--help, Spanish system")
        << QStringList {"--help"} << "es_AR.UTF-8" << QByteArray("Uso:");
    QTest::newRow("--lang es --help")
        << QStringList {"--lang", "es", "--help"} << "C.UTF-8" << QByteArray("Uso:");
    QTest::newRow("--help among other options")
        << QStringList {"--agency", "3", "--help"} << "C.UTF-8" << QByteArray("Usage:");
}

void TestAgencyGuiNoDisplay::help()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, lang);
    QFETCH(QByteArray, expected);
    const Run result = run(arguments, lang);
    QVERIFY2(result.exitStatus == QProcess::NormalExit, result.err.constData());
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(result.out.contains(expected), result.out.constData());
    for (const QByteArray option : {"--server", "--agency", "--file", "--start", "--lang"})
        QVERIFY2(result.out.contains(option), result.out.constData());
    QVERIFY2(!result.err.contains("qt.qpa"), result.err.constData());
}

void TestAgencyGuiNoDisplay::badCommandLine_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("expected"); // the log line's error

    QTest::newRow("agency not a number")
        << QStringList {"--agency", "x"} << QByteArray("--agency must be a number of 1 or more");
    QTest::newRow("unknown option") << QStringList {"--bogus"} << QByteArray("bogus");
    QTest::newRow("bad language") << QStringList {"--lang", "fr"} << QByteArray("--lang");
}

void TestAgencyGuiNoDisplay::badCommandLine()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, expected);
    const Run result = run(arguments);
    QVERIFY2(result.exitStatus == QProcess::NormalExit, result.err.constData());
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(
        result.out.contains("action: config | result: fail | error: "), result.out.constData());
    QVERIFY2(result.out.contains(expected), result.out.constData());
    QVERIFY2(!result.err.contains("qt.qpa"), result.err.constData());
}

QTEST_GUILESS_MAIN(TestAgencyGuiNoDisplay)
#include "tst_agency_gui_no_display.moc"
