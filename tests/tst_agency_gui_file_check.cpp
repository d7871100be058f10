// agency-gui and a suspicious file (docs/PROTOCOL.md 10.9), the window driven like a user would
// (offscreen) against a real LotteryServer in this process: Upload on a file saved as
// Windows-1252, a ';'-separated one, an empty one or one with a header row opens a dialog that
// says why and that sending closes the agency's upload, before any connection. "Don't send" (the
// default) sends nothing: no session starts, and the corrected file is then welcomed with nothing
// stored and uploads in full. "Send anyway" sends it as it is. A good file asks nothing.
#include "agency_window.h"
#include "server/lottery_server.h"

#include <QFile>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using lottery::gui::AgencyWindow;
using lottery::gui::UploadController;
using lottery::server::LotteryServer;
using lottery::server::ServerConfig;
using Phase = UploadController::Phase;

namespace {

constexpr int kLongWaitMs = 60000;
constexpr int kRows = 20;

QByteArray rows(const std::function<QByteArray(int)> &name, char separator = ',')
{
    QByteArray content;
    for (int i = 0; i < kRows; ++i) {
        const QList<QByteArray> fields {name(i), "Paz", QByteArray::number(30000000 + i),
            "1990-01-02", QByteArray::number(i % 5 == 0 ? 7574 : i)};
        content += fields.join(separator) + "\r\n";
    }
    return content;
}

QByteArray plainName(int)
{
    return "Ana";
}

int lineCount(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return 0; // no bets.csv yet: nothing stored
    return static_cast<int>(file.readAll().count('\n'));
}

} // namespace

class TestAgencyGuiFileCheck : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void suspiciousFileAsksAndDontSendSendsNothing_data();
    void suspiciousFileAsksAndDontSendSendsNothing();
    void sendAnywaySendsTheFileAsItIs();
    void goodFileAsksNothing();

private:
    template<typename T> T *child(const char *name) const
    {
        T *widget = m_window->findChild<T *>(QLatin1String(name));
        if (!widget)
            qFatal("no widget named %s", name);
        return widget;
    }
    QString storagePath() const { return m_dir->filePath(QStringLiteral("bets.csv")); }
    bool writeData(const QByteArray &content)
    {
        QFile file(m_dir->filePath(QStringLiteral("agency-1.csv")));
        return file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
    }
    // Fills the fields, clicks Upload.
    void upload()
    {
        child<QLineEdit>("hostEdit")->setText(QStringLiteral("127.0.0.1"));
        child<QSpinBox>("portSpin")->setValue(m_server->serverPort());
        child<QSpinBox>("agencySpin")->setValue(1);
        auto *fileEdit = child<QLineEdit>("fileEdit");
        fileEdit->clear();
        QTest::keyClicks(fileEdit, m_dir->filePath(QStringLiteral("agency-1.csv")));
        auto *button = child<QPushButton>("uploadButton");
        QTRY_VERIFY(button->isEnabled());
        QTest::mouseClick(button, Qt::LeftButton);
    }
    QMessageBox *dialog() const
    {
        return m_window->findChild<QMessageBox *>(QStringLiteral("suspiciousFileDialog"));
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<LotteryServer> m_server;
    std::unique_ptr<AgencyWindow> m_window;
};

void TestAgencyGuiFileCheck::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    ServerConfig config;
    config.ip = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.agencies = 1;
    config.storagePath = storagePath();
    config.workers = 2;
    m_server = std::make_unique<LotteryServer>(config);
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
    m_settings = std::make_unique<QSettings>(
        m_dir->filePath(QStringLiteral("agency-gui.ini")), QSettings::IniFormat);
    m_window = std::make_unique<AgencyWindow>(m_settings.get());
    m_window->show();
}

void TestAgencyGuiFileCheck::cleanup()
{
    m_window.reset();
    m_server.reset();
    m_settings.reset();
    m_dir.reset();
}

void TestAgencyGuiFileCheck::suspiciousFileAsksAndDontSendSendsNothing_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("why"); // a part of the dialog's text (English: no catalog loaded)

    QTest::newRow("windows-1252") << rows([](int i) {
        return i % 2 ? QByteArray("Jos\xE9") : QByteArray("Ana");
    }) << QStringLiteral("not saved as UTF-8 text: line 2 reads only as Windows-1252");
    QTest::newRow("semicolons") << rows(plainName, ';')
                                << QStringLiteral("columns are separated by ';' (line 1)");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("The file has no rows");
    QTest::newRow("header row") << "first_name,last_name,document,birthdate,number\r\n"
            + rows(plainName) << QStringLiteral("Line 1 holds column names");
}

void TestAgencyGuiFileCheck::suspiciousFileAsksAndDontSendSendsNothing()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, why);
    QVERIFY(writeData(content));
    UploadController *controller = m_window->controller();
    QSignalSpy phases(controller, &UploadController::phaseChanged);
    upload();

    QTRY_VERIFY_WITH_TIMEOUT(dialog() && dialog()->isVisible(), kLongWaitMs);
    QMessageBox *box = dialog();
    QVERIFY2(box->text().contains(why), qPrintable(box->text()));
    QVERIFY2(box->informativeText().contains(QStringLiteral("closes this agency's upload")),
        qPrintable(box->informativeText()));
    QVERIFY(box->isModal() || box->windowModality() != Qt::NonModal);
    auto *dontSend = box->findChild<QPushButton *>(QStringLiteral("dontSendButton"));
    QVERIFY(dontSend);
    QCOMPARE(box->defaultButton(), dontSend);
    QVERIFY(controller->isAwaitingConfirmation());
    QTest::mouseClick(dontSend, Qt::LeftButton);

    QTRY_COMPARE(controller->phase(), Phase::Idle);
    QVERIFY(!controller->isAwaitingConfirmation());
    for (const QList<QVariant> &args : phases) {
        const auto phase = args.at(0).value<Phase>();
        QVERIFY2(phase == Phase::ReadingFile || phase == Phase::Idle,
            qPrintable(UploadController::phaseText(phase)));
    }
    QCOMPARE(lineCount(storagePath()), 0);

    // The corrected file: nothing stored before it, every row sent, the draw done.
    QVERIFY(writeData(rows(plainName)));
    m_window->setDataFile(QString()); // forget the preview of the suspicious file
    upload();
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Done, kLongWaitMs);
    QVERIFY(!dialog());
    QCOMPARE(controller->acknowledged(), kRows);
    QCOMPARE(lineCount(storagePath()), kRows);
}

void TestAgencyGuiFileCheck::sendAnywaySendsTheFileAsItIs()
{
    QVERIFY(writeData(
        rows([](int i) { return i == 3 || i == 4 ? QByteArray("Jos\xE9") : QByteArray("Ana"); })));
    UploadController *controller = m_window->controller();
    upload();
    QTRY_VERIFY_WITH_TIMEOUT(dialog() && dialog()->isVisible(), kLongWaitMs);
    auto *send = dialog()->findChild<QPushButton *>(QStringLiteral("sendAnywayButton"));
    QVERIFY(send);
    QTest::mouseClick(send, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Done, kLongWaitMs);
    QCOMPARE(controller->acknowledged(), kRows - 2);
    QCOMPARE(lineCount(storagePath()), kRows - 2);
}

void TestAgencyGuiFileCheck::goodFileAsksNothing()
{
    QVERIFY(writeData(rows(plainName)));
    UploadController *controller = m_window->controller();
    QSignalSpy asked(controller, &UploadController::confirmationNeeded);
    upload();
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Done, kLongWaitMs);
    QCOMPARE(asked.size(), 0);
    QVERIFY(!dialog());
    QCOMPARE(lineCount(storagePath()), kRows);
}

QTEST_MAIN(TestAgencyGuiFileCheck)
#include "tst_agency_gui_file_check.moc"
