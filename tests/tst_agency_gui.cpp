// The agency window driven like a user would (offscreen), against a real LotteryServer in this
// process on 127.0.0.1 with a kernel-chosen port: upload with progress and winners, the invalid
// row preview, the server down, a version mismatch, cancel mid-upload then resume, remembered
// fields, a dropped file, and the program's --start --screenshot mode.
#include "agency_window.h"
#include "server/lottery_server.h"
#include "support/program_runner.h"

#include "lottery/protocol/codec.h"

#include <QApplication>
#include <QFile>
#include <QGroupBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <algorithm>
#include <memory>

using namespace lottery;
using lottery::gui::AgencyWindow;
using lottery::gui::UploadController;
using lottery::gui::WinnersModel;
using lottery::server::LotteryServer;
using lottery::server::ServerConfig;
using Phase = UploadController::Phase;

namespace {

constexpr int kLongWaitMs = 60000;

// The documents of bets.csv rows (`agency,first,last,document,birthdate,number`), sorted.
QStringList storedDocuments(const QString &storagePath)
{
    QStringList documents;
    QFile file(storagePath);
    if (!file.open(QIODevice::ReadOnly))
        return documents;
    while (!file.atEnd()) {
        const QList<QByteArray> fields = file.readLine().trimmed().split(',');
        if (fields.size() == 6)
            documents << QString::fromUtf8(fields[3]);
    }
    documents.sort();
    return documents;
}

QStringList fileDocuments(const QString &path)
{
    QStringList documents;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return documents;
    while (!file.atEnd()) {
        const QList<QByteArray> fields = file.readLine().trimmed().split(',');
        if (fields.size() == 5)
            documents << QString::fromUtf8(fields[2]);
    }
    documents.sort();
    return documents;
}

quint16 unusedPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort(); // closed when `probe` goes: nobody listens there afterwards
}

} // namespace

class TestAgencyGui : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void uploadShowsProgressAndWinners();
    void invalidRowsPreview();
    void serverDownShowsErrorThenRetrySucceeds();
    void versionMismatchShowsError();
    void cancelMidUploadThenRetryStoresEveryRowOnce();
    void rowsCorrectedInPlaceAreSentOnRetry();
    void fieldsRememberedBetweenRuns();
    void droppedCsvBecomesTheFile();
    void programStartsAndSavesScreenshot();

private:
    template<typename T> T *child(const char *name) const
    {
        T *widget = m_window->findChild<T *>(QLatin1String(name));
        if (!widget)
            qFatal("no widget named %s", name);
        return widget;
    }
    bool startServer(quint16 port = 0)
    {
        ServerConfig config;
        config.ip = QStringLiteral("127.0.0.1");
        config.port = port;
        config.agencies = 1; // the draw runs once agency 1 is done
        config.storagePath = storagePath();
        config.workers = 4;
        m_server = std::make_unique<LotteryServer>(config);
        if (!m_server->start()) {
            qWarning("%s", qPrintable(m_server->errorString()));
            return false;
        }
        return true;
    }
    QString storagePath() const { return m_dir->filePath(QStringLiteral("bets.csv")); }
    QString dataPath() const { return m_dir->filePath(QStringLiteral("agency-1.csv")); }
    void fillFields(quint16 port, const QString &file, int batchSize)
    {
        child<QLineEdit>("hostEdit")->setText(QStringLiteral("127.0.0.1"));
        child<QSpinBox>("portSpin")->setValue(port);
        child<QSpinBox>("agencySpin")->setValue(1);
        auto *fileEdit = child<QLineEdit>("fileEdit");
        fileEdit->clear();
        QTest::keyClicks(fileEdit, file);
        child<QSpinBox>("batchSpin")->setValue(batchSize);
    }
    void clickUpload()
    {
        auto *upload = child<QPushButton>("uploadButton");
        QVERIFY(upload->isEnabled());
        QTest::mouseClick(upload, Qt::LeftButton);
    }
    void expectWinnersOf(const QString &file)
    {
        WinnersModel *model = m_window->controller()->winnersModel();
        QStringList expected = lottery::testing::winnerDocumentsInFile(file);
        expected.sort();
        QTRY_COMPARE_WITH_TIMEOUT(
            child<QTableView>("winnersView")->model()->rowCount(), expected.size(), kLongWaitMs);
        QStringList shown;
        for (const auto &winner : model->winners()) {
            shown << winner.document;
            QVERIFY2(winner.foundInFile(), qPrintable(winner.document));
            QVERIFY(!winner.firstName.isEmpty());
            QCOMPARE(winner.number, 7574);
        }
        shown.sort();
        QCOMPARE(shown, expected);
        QVERIFY(
            child<QLabel>("winnersCountLabel")->text().contains(QString::number(expected.size())));
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<LotteryServer> m_server;
    std::unique_ptr<AgencyWindow> m_window;
};

void TestAgencyGui::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_settings = std::make_unique<QSettings>(
        m_dir->filePath(QStringLiteral("agency-gui.ini")), QSettings::IniFormat);
    m_window = std::make_unique<AgencyWindow>(m_settings.get());
    m_window->show();
}

void TestAgencyGui::cleanup()
{
    m_window.reset();
    m_server.reset();
    m_settings.reset();
    m_dir.reset();
}

void TestAgencyGui::uploadShowsProgressAndWinners()
{
    QVERIFY(startServer());
    QVERIFY(lottery::testing::writeAgencyFile(dataPath(), 1, 3000, 250));
    const int winners = lottery::testing::countWinnersInFile(dataPath());
    QCOMPARE(winners, 12);

    fillFields(m_server->serverPort(), dataPath(), 100);
    QSignalSpy phases(m_window->controller(), &UploadController::phaseChanged);
    clickUpload();
    if (QTest::currentTestFailed())
        return;

    auto *progress = child<QProgressBar>("progressBar");
    QTRY_COMPARE_WITH_TIMEOUT(progress->value(), progress->maximum(), kLongWaitMs);
    QVERIFY(progress->text().contains(QStringLiteral("3,000 of 3,000")));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->controller()->phase(), Phase::Done, kLongWaitMs);
    expectWinnersOf(dataPath());
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(m_window->controller()->acknowledged(), 3000);

    // Every phase was shown, in order.
    QList<Phase> seen;
    for (const QList<QVariant> &args : phases)
        seen << args.at(0).value<Phase>();
    QCOMPARE(seen,
        (QList<Phase> {Phase::ReadingFile, Phase::Connecting, Phase::Sending, Phase::WaitingForDraw,
            Phase::Done}));
    QVERIFY(child<QLabel>("phaseLabel")->text().contains(QStringLiteral("Done")));
    QVERIFY(child<QPushButton>("uploadButton")->isEnabled());
    QVERIFY(!child<QPushButton>("cancelButton")->isEnabled());
    QVERIFY(child<QPushButton>("exportButton")->isEnabled());
    QVERIFY(child<QLabel>("speedLabel")->text().contains(QStringLiteral("bets/s")));
    QVERIFY(child<QPlainTextEdit>("logView")->toPlainText().contains(QStringLiteral("Draw done")));
    QCOMPARE(storedDocuments(storagePath()), fileDocuments(dataPath()));

    // What "Export winners..." writes, without the dialog.
    const QString exported = m_dir->filePath(QStringLiteral("winners.csv"));
    QString error;
    QVERIFY2(
        m_window->controller()->winnersModel()->exportCsv(exported, &error), qPrintable(error));
    QFile file(exported);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    QCOMPARE(lines.size(), winners + 2); // header, rows, empty after the last newline
    QCOMPARE(lines.first(), QByteArray("document,first_name,last_name,number"));
    QVERIFY(lines.at(1).endsWith(",7574"));
}

void TestAgencyGui::invalidRowsPreview()
{
    QFile file(dataPath());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("Ana,Gomez,30111222,1990-05-17,12\r\n"
               "Luis,Diaz,12a,1980-01-01,7574\r\n"
               "\r\n"
               "Eva,Paz,40111222,1985-02-30,1\r\n"
               "only,three,fields\r\n"
               "Juan,Perez,30111223,1970-12-31,7574\r\n"
               "Sol,Luna,30111224,2000-01-01,10000\r\n");
    file.close();

    m_window->setDataFile(dataPath());
    auto *view = child<QTableView>("invalidRowsView");
    QTRY_COMPARE(view->model()->rowCount(), 4);
    const QList<qint64> lines {2, 4, 5, 7};
    const QStringList reasonParts {QStringLiteral("document"), QStringLiteral("birthdate"),
        QStringLiteral("5 fields"), QStringLiteral("number")};
    for (int row = 0; row < 4; ++row) {
        QCOMPARE(view->model()->index(row, 0).data().toLongLong(), lines.at(row));
        const QString reason = view->model()->index(row, 1).data().toString();
        QVERIFY2(reason.contains(reasonParts.at(row)), qPrintable(reason));
    }
    const QString summary = child<QLabel>("summaryLabel")->text();
    QVERIFY2(summary.contains(QStringLiteral("2 bets to send")), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("4 invalid rows")), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("1 winning")), qPrintable(summary));
}

void TestAgencyGui::serverDownShowsErrorThenRetrySucceeds()
{
    QVERIFY(lottery::testing::writeAgencyFile(dataPath(), 1, 500, 100));
    const quint16 port = unusedPort();
    QVERIFY(port != 0);
    m_window->controller()->setConnectTimeout(std::chrono::milliseconds(500));
    fillFields(port, dataPath(), 50);
    clickUpload();
    if (QTest::currentTestFailed())
        return;

    auto *error = child<QLabel>("errorLabel");
    QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), kLongWaitMs);
    QVERIFY2(
        error->text().contains(QStringLiteral("Server unreachable")), qPrintable(error->text()));
    QCOMPARE(m_window->controller()->phase(), Phase::Failed);
    QVERIFY(child<QPlainTextEdit>("logView")->toPlainText().contains(
        QStringLiteral("Server unreachable")));
    auto *upload = child<QPushButton>("uploadButton");
    QVERIFY(upload->isEnabled());
    QCOMPARE(upload->text(), QStringLiteral("&Retry"));
    QVERIFY(child<QGroupBox>("settingsBox")->isEnabled());

    // The server comes up on that port; Retry completes and the error goes away.
    QVERIFY(startServer(port));
    clickUpload();
    if (QTest::currentTestFailed())
        return;
    QTRY_COMPARE_WITH_TIMEOUT(m_window->controller()->phase(), Phase::Done, kLongWaitMs);
    QVERIFY(!error->isVisible());
    expectWinnersOf(dataPath());
}

void TestAgencyGui::versionMismatchShowsError()
{
    // A server of another protocol version: it answers any HELLO with WELCOME(version 3), newer
    // than any this app speaks.
    QTcpServer fake;
    QVERIFY(fake.listen(QHostAddress::LocalHost, 0));
    connect(&fake, &QTcpServer::newConnection, this, [&fake] {
        QTcpSocket *socket = fake.nextPendingConnection();
        connect(socket, &QTcpSocket::readyRead, socket, [socket] {
            socket->readAll();
            const std::string frame = protocol::encodeFrame(protocol::Welcome {3, 0, 0});
            socket->write(frame.data(), static_cast<qint64>(frame.size()));
        });
    });
    QVERIFY(lottery::testing::writeAgencyFile(dataPath(), 1, 10, 5));
    fillFields(fake.serverPort(), dataPath(), 50);
    clickUpload();
    if (QTest::currentTestFailed())
        return;

    auto *error = child<QLabel>("errorLabel");
    QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), kLongWaitMs);
    QVERIFY2(error->text().contains(QStringLiteral("Protocol version mismatch")),
        qPrintable(error->text()));
    QVERIFY(child<QPushButton>("uploadButton")->isEnabled());
}

void TestAgencyGui::cancelMidUploadThenRetryStoresEveryRowOnce()
{
    QVERIFY(startServer());
    constexpr int kBets = 20000;
    QVERIFY(lottery::testing::writeAgencyFile(dataPath(), 1, kBets, 997));
    fillFields(m_server->serverPort(), dataPath(), 10);

    // Cancel as a user would, while batches are in flight: a click once some are acknowledged.
    UploadController *controller = m_window->controller();
    auto *cancel = child<QPushButton>("cancelButton");
    auto cancelOnce = connect(controller, &UploadController::progressChanged, this,
        [cancel](qint64 acknowledged, qint64) {
            if (acknowledged >= 500 && cancel->isEnabled())
                QTest::mouseClick(cancel, Qt::LeftButton);
        });
    clickUpload();
    if (QTest::currentTestFailed())
        return;
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Cancelled, kLongWaitMs);
    disconnect(cancelOnce);
    const qint64 acknowledgedAtCancel = controller->acknowledged();
    QVERIFY2(acknowledgedAtCancel >= 500 && acknowledgedAtCancel < kBets,
        qPrintable(QString::number(acknowledgedAtCancel)));

    // The window is usable again.
    QVERIFY(child<QPushButton>("uploadButton")->isEnabled());
    QVERIFY(!cancel->isEnabled());
    QVERIFY(child<QGroupBox>("settingsBox")->isEnabled());
    QVERIFY(child<QLabel>("phaseLabel")->text().contains(QStringLiteral("Cancelled")));

    // Retry resumes after what the server stored and completes.
    clickUpload();
    if (QTest::currentTestFailed())
        return;
    auto *progress = child<QProgressBar>("progressBar");
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Done, kLongWaitMs);
    QCOMPARE(progress->value(), progress->maximum());
    QVERIFY(child<QPlainTextEdit>("logView")->toPlainText().contains(QStringLiteral("resuming")));
    expectWinnersOf(dataPath());
    if (QTest::currentTestFailed())
        return;

    // Exactly the file's rows, each once.
    const QStringList stored = storedDocuments(storagePath());
    QCOMPARE(stored.size(), kBets);
    QCOMPARE(stored, fileDocuments(dataPath()));
}

// Issue 20: the file had invalid rows; the upload is cancelled after they were skipped, the clerk
// corrects them in place and presses Upload again. The corrected rows sit between stored ones:
// the window resumes by content and the server ends with every row of the file exactly once.
void TestAgencyGui::rowsCorrectedInPlaceAreSentOnRetry()
{
    QVERIFY(startServer());
    constexpr int kBets = 20000;
    const QList<int> invalid {3, 40, 250};
    const auto writeRows = [this, &invalid](bool corrected) {
        QFile file(dataPath());
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        QByteArray bytes;
        for (int i = 0; i < kBets; ++i) {
            const bool bad = !corrected && invalid.contains(i);
            bytes += QStringLiteral("Nombre%1,Paz,%2,%3,%4\n")
                         .arg(i)
                         .arg(40000000 + i)
                         .arg(bad ? QStringLiteral("1990-13-01") : QStringLiteral("1990-02-01"))
                         .arg(i % 997 == 0 ? 7574 : 1)
                         .toUtf8();
        }
        return file.write(bytes) == bytes.size();
    };
    QVERIFY(writeRows(false));
    fillFields(m_server->serverPort(), dataPath(), 10);

    UploadController *controller = m_window->controller();
    auto *cancel = child<QPushButton>("cancelButton");
    auto cancelOnce = connect(controller, &UploadController::progressChanged, this,
        [cancel](qint64 acknowledged, qint64) {
            if (acknowledged >= 500 && cancel->isEnabled())
                QTest::mouseClick(cancel, Qt::LeftButton);
        });
    clickUpload();
    if (QTest::currentTestFailed())
        return;
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Cancelled, kLongWaitMs);
    disconnect(cancelOnce);
    QVERIFY(controller->acknowledged() >= 500);
    QVERIFY(storedDocuments(storagePath()).size() < kBets - 3); // not done, nothing closed

    QVERIFY(writeRows(true)); // corrected in place
    clickUpload();
    if (QTest::currentTestFailed())
        return;
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Done, kLongWaitMs);
    expectWinnersOf(dataPath());
    if (QTest::currentTestFailed())
        return;
    const QStringList stored = storedDocuments(storagePath());
    QCOMPARE(stored.size(), kBets);
    QCOMPARE(stored, fileDocuments(dataPath()));
    for (int i : invalid)
        QVERIFY(stored.contains(QString::number(40000000 + i)));
}

void TestAgencyGui::fieldsRememberedBetweenRuns()
{
    QVERIFY(lottery::testing::writeAgencyFile(dataPath(), 3, 10, 5));
    child<QLineEdit>("hostEdit")->setText(QStringLiteral("lottery.example"));
    child<QSpinBox>("portSpin")->setValue(4242);
    child<QSpinBox>("agencySpin")->setValue(3);
    m_window->setDataFile(dataPath());
    child<QSpinBox>("batchSpin")->setValue(77);
    m_window->close();
    m_window.reset();

    m_window = std::make_unique<AgencyWindow>(m_settings.get());
    const gui::UploadSettings fields = m_window->fields();
    QCOMPARE(fields.host, QStringLiteral("lottery.example"));
    QCOMPARE(fields.port, 4242);
    QCOMPARE(fields.agency, 3u);
    QCOMPARE(fields.dataFile, dataPath());
    QCOMPARE(fields.batchSize, 77);
    // The remembered file is previewed at once.
    QTRY_COMPARE(m_window->controller()->previewState(), UploadController::PreviewState::Ready);
    QCOMPARE(m_window->controller()->previewSummary().validRows, 10);
}

void TestAgencyGui::droppedCsvBecomesTheFile()
{
    QVERIFY(lottery::testing::writeAgencyFile(dataPath(), 1, 25, 5));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(dataPath())});
    const QPoint at(m_window->width() / 2, m_window->height() / 2);

    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_window.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_window.get(), &drop);
    QCOMPARE(child<QLineEdit>("fileEdit")->text(), dataPath());
    QTRY_COMPARE(m_window->controller()->previewSummary().validRows, 25);

    // Not a CSV: refused.
    QMimeData other;
    other.setUrls({QUrl::fromLocalFile(m_dir->filePath(QStringLiteral("notes.txt")))});
    QDragEnterEvent refused(at, Qt::CopyAction, &other, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QApplication::sendEvent(m_window.get(), &refused);
    QVERIFY(!refused.isAccepted());
}

void TestAgencyGui::programStartsAndSavesScreenshot()
{
    QVERIFY(startServer());
    QVERIFY(lottery::testing::writeAgencyFile(dataPath(), 1, 1000, 200));
    const QString png = m_dir->filePath(QStringLiteral("shot.png"));
    QProcess gui;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir->filePath(QStringLiteral("cfg")));
    gui.setProcessEnvironment(environment);
    gui.setProcessChannelMode(QProcess::MergedChannels);
    QSignalSpy finished(&gui, &QProcess::finished);
    // The server runs in this thread: wait with the event loop turning, never blocking it.
    gui.start(lottery::testing::binaryPath(QStringLiteral("agency-gui")),
        {QStringLiteral("--server"), QStringLiteral("127.0.0.1:%1").arg(m_server->serverPort()),
            QStringLiteral("--agency"), QStringLiteral("1"), QStringLiteral("--file"), dataPath(),
            QStringLiteral("--start"), QStringLiteral("--screenshot"), png});
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, kLongWaitMs);
    const QByteArray output = gui.readAll();
    QCOMPARE(gui.exitStatus(), QProcess::NormalExit);
    QVERIFY2(gui.exitCode() == 0, output.constData());
    QVERIFY(output.contains("action: consulta_ganadores | result: success | cant_ganadores: 5"));
    const QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 600 && image.height() >= 400);
}

QTEST_MAIN(TestAgencyGui)
#include "tst_agency_gui.moc"
