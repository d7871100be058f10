// The parts of agency-gui that need no server: the command line, remembered settings, the speed
// and time-left estimate, the winner lookup in the bet file, the CSV export, the worker runner.
#include "background_runner.h"
#include "command_line.h"
#include "upload_settings.h"
#include "upload_stats.h"
#include "winner_lookup.h"
#include "winners_model.h"

#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace lottery::gui;

class TestAgencyGuiParts : public QObject
{
    Q_OBJECT

private slots:
    void commandLine_data();
    void commandLine();
    void serverAddress_data();
    void serverAddress();
    void settingsRoundTrip();
    void settingsIgnoreOutOfRangeValues();
    void speedAndTimeLeft();
    void lookupMatchesWinningRowsByDocument();
    void lookupReportsUnreadableFile();
    void exportQuotesFields();
    void runnerDeliversInItsThreadAndDropsCancelled();
};

void TestAgencyGuiParts::commandLine_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<int>("agency");
    QTest::addColumn<bool>("start");
    QTest::addColumn<QString>("screenshot");
    QTest::addColumn<QString>("errorPart");

    using S = GuiCommandLine::Status;
    const auto ok = static_cast<int>(S::Ok);
    const auto error = static_cast<int>(S::Error);
    QTest::newRow("nothing") << QStringList {} << ok << QString() << 0 << 0 << false << QString()
                             << QString();
    QTest::newRow("everything") << QStringList {"--server", "10.1.2.3:4567", "--agency", "3",
        "--file", "/tmp/a.csv", "--start", "--screenshot", "/tmp/s.png"}
                                << ok << "10.1.2.3" << 4567 << 3 << true << "/tmp/s.png"
                                << QString();
    QTest::newRow("ipv6") << QStringList {"--server", "[::1]:80"} << ok << "::1" << 80 << 0 << false
                          << QString() << QString();
    QTest::newRow("help") << QStringList {"--help"} << static_cast<int>(S::Help) << QString() << 0
                          << 0 << false << QString() << QString();
    QTest::newRow("port missing") << QStringList {"--server", "localhost"} << error << QString()
                                  << 0 << 0 << false << QString() << "HOST:PORT";
    QTest::newRow("agency zero") << QStringList {"--agency", "0"} << error << QString() << 0 << 0
                                 << false << QString() << "--agency";
    QTest::newRow("batch too big") << QStringList {"--batch-size", "70000"} << error << QString()
                                   << 0 << 0 << false << QString() << "--batch-size";
    QTest::newRow("unknown option")
        << QStringList {"--bogus"} << error << QString() << 0 << 0 << false << QString() << "bogus";
    QTest::newRow("stray argument") << QStringList {"file.csv"} << error << QString() << 0 << 0
                                    << false << QString() << "file.csv";
}

void TestAgencyGuiParts::commandLine()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, status);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(int, agency);
    QFETCH(bool, start);
    QFETCH(QString, screenshot);
    QFETCH(QString, errorPart);

    const GuiCommandLine parsed
        = GuiCommandLine::parse(QStringList {QStringLiteral("agency-gui")} + arguments);
    QCOMPARE(static_cast<int>(parsed.status), status);
    if (!errorPart.isEmpty()) {
        QVERIFY2(parsed.text.contains(errorPart), qPrintable(parsed.text));
        return;
    }
    if (parsed.status != GuiCommandLine::Status::Ok)
        return;
    UploadSettings settings;
    const UploadSettings defaults;
    parsed.applyTo(settings);
    QCOMPARE(settings.host, host.isEmpty() ? defaults.host : host);
    QCOMPARE(settings.port, port == 0 ? defaults.port : port);
    QCOMPARE(settings.agency, agency == 0 ? defaults.agency : static_cast<quint32>(agency));
    QCOMPARE(parsed.start, start);
    QCOMPARE(parsed.screenshotPath, screenshot);
}

void TestAgencyGuiParts::serverAddress_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::newRow("name") << "server:12345" << true << "server" << 12345;
    QTest::newRow("ipv4") << "127.0.0.1:1" << true << "127.0.0.1" << 1;
    QTest::newRow("ipv6 in brackets") << "[::1]:65535" << true << "::1" << 65535;
    QTest::newRow("ipv6 bare") << "::1:80" << false << QString() << 0;
    QTest::newRow("port zero") << "server:0" << false << QString() << 0;
    QTest::newRow("port too big") << "server:65536" << false << QString() << 0;
    QTest::newRow("port not a number") << "server:http" << false << QString() << 0;
    QTest::newRow("no host") << ":80" << false << QString() << 0;
    QTest::newRow("empty") << "" << false << QString() << 0;
}

void TestAgencyGuiParts::serverAddress()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(QString, host);
    QFETCH(int, port);
    QString error;
    const auto address = parseServerAddress(text, &error);
    QCOMPARE(address.has_value(), valid);
    if (!valid) {
        QVERIFY(error.contains(text));
        return;
    }
    QCOMPARE(address->host, host);
    QCOMPARE(address->port, port);
}

void TestAgencyGuiParts::settingsRoundTrip()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("s.ini"));
    const UploadSettings saved {QStringLiteral("host.test"), 999, 7, QStringLiteral("/d/a.csv"), 5,
        QStringLiteral("/s/ca.crt"), QStringLiteral("/s/agency-7.token")};
    {
        QSettings settings(path, QSettings::IniFormat);
        saved.save(settings);
    }
    QSettings settings(path, QSettings::IniFormat);
    QCOMPARE(UploadSettings::load(settings), saved);
}

void TestAgencyGuiParts::settingsIgnoreOutOfRangeValues()
{
    QTemporaryDir dir;
    QSettings settings(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
    settings.setValue(QStringLiteral("server/port"), 70000);
    settings.setValue(QStringLiteral("agency/number"), 0);
    settings.setValue(QStringLiteral("upload/batchSize"), -3);
    const UploadSettings loaded = UploadSettings::load(settings);
    const UploadSettings defaults;
    QCOMPARE(loaded.port, defaults.port);
    QCOMPARE(loaded.agency, defaults.agency);
    QCOMPARE(loaded.batchSize, defaults.batchSize);
}

void TestAgencyGuiParts::speedAndTimeLeft()
{
    UploadStats stats;
    QCOMPARE(stats.secondsLeft(100), -1);
    stats.addSample(0, 0);
    QCOMPARE(stats.betsPerSecond(), 0.0);
    stats.addSample(1000, 500);
    QCOMPARE(stats.betsPerSecond(), 500.0);
    QCOMPARE(stats.secondsLeft(1500), 2);
    QCOMPARE(stats.secondsLeft(1501), 3); // rounds up
    QCOMPARE(stats.secondsLeft(500), 0);
    // Only the last few seconds count: the rate follows a slowdown.
    for (qint64 t = 2000; t <= 10000; t += 1000)
        stats.addSample(t, 500 + (t - 1000) / 10);
    QCOMPARE(stats.betsPerSecond(), 100.0);
}

void TestAgencyGuiParts::lookupMatchesWinningRowsByDocument()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("a.csv"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("Ana,Gomez,111,1990-05-17,12\r\n" // same document, not a winning number
               "Ana,Gomez,111,1990-05-17,7574\r\n"
               "Luis,\"Diaz, Jr\",222,1980-01-01,7574\r\n"
               "Luis,Diaz,222,1980-01-01,7574\r\n"
               "bad,row,333,1980-13-01,7574\r\n");
    file.close();

    const QStringList documents {
        QStringLiteral("222"), QStringLiteral("111"), QStringLiteral("222"), QStringLiteral("999")};
    const WinnerLookupResult result = lookupWinners(path, documents);
    QVERIFY(result.ok);
    const QList<WinnerRecord> expected {
        {QStringLiteral("222"), QStringLiteral("Luis"), QStringLiteral("Diaz, Jr"), 7574, 3},
        {QStringLiteral("111"), QStringLiteral("Ana"), QStringLiteral("Gomez"), 7574, 2},
        {QStringLiteral("222"), QStringLiteral("Luis"), QStringLiteral("Diaz"), 7574, 4},
        {QStringLiteral("999"), {}, {}, -1, 0},
    };
    QCOMPARE(result.winners, expected);
}

void TestAgencyGuiParts::lookupReportsUnreadableFile()
{
    const WinnerLookupResult result
        = lookupWinners(QStringLiteral("/nonexistent/a.csv"), {QStringLiteral("1")});
    QVERIFY(!result.ok);
    QVERIFY2(result.errorString.contains(QStringLiteral("/nonexistent/a.csv")),
        qPrintable(result.errorString));
}

void TestAgencyGuiParts::exportQuotesFields()
{
    QTemporaryDir dir;
    WinnersModel model;
    model.setWinners(
        {{QStringLiteral("1"), QStringLiteral("Ana \"la\""), QStringLiteral("Pérez, Jr"), 7574, 1},
            {QStringLiteral("2"), {}, {}, -1, 0}});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(1, WinnersModel::FirstNameColumn).data().toString(),
        QStringLiteral("(not in the local file)"));
    const QString path = dir.filePath(QStringLiteral("w.csv"));
    QString error;
    QVERIFY(model.exportCsv(path, &error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(),
        QByteArray("document,first_name,last_name,number\n"
                   "1,\"Ana \"\"la\"\"\",\"Pérez, Jr\",7574\n"
                   "2,,,\n"));
    QVERIFY(!model.exportCsv(dir.filePath(QStringLiteral("missing/w.csv")), &error));
    QVERIFY2(error.contains(QStringLiteral("missing/w.csv")), qPrintable(error));
}

void TestAgencyGuiParts::runnerDeliversInItsThreadAndDropsCancelled()
{
    BackgroundRunner runner;
    QThread *owner = QThread::currentThread();
    std::atomic_bool workerThreadDiffers {false};
    QList<int> delivered;
    QThread *deliveredIn = nullptr;

    // The first job waits until cancelled; its result must never arrive.
    std::atomic_bool firstStarted {false};
    runner.start([&](const BackgroundJob &job) {
        firstStarted = true;
        while (!job.isCancelled())
            QThread::yieldCurrentThread();
        job.post([&] { delivered << 1; });
    });
    QTRY_VERIFY(firstStarted.load());
    runner.start([&, owner](const BackgroundJob &job) {
        workerThreadDiffers = QThread::currentThread() != owner;
        job.post([&] {
            delivered << 2;
            deliveredIn = QThread::currentThread();
        });
    });
    QTRY_COMPARE(delivered, QList<int> {2});
    QVERIFY(workerThreadDiffers.load());
    QCOMPARE(deliveredIn, owner);
    QCoreApplication::processEvents();
    QCOMPARE(delivered, QList<int> {2});
}

QTEST_MAIN(TestAgencyGuiParts)
#include "tst_agency_gui_parts.moc"
