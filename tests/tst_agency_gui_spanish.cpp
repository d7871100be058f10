// agency-gui as a clerk who chose Spanish sees it (es_AR, offscreen), driven through what goes
// wrong in a day against a real lottery-server process: the server down, then the port changed,
// a cancel mid-upload, the server lost during the resume and a retry once it is back, a cancel
// while waiting for the draw, the winners, their export through Qt's file dialog (and its
// overwrite question), and a changed file that cannot be read.
// After every step each text a person can read is collected: the window title, every visible
// widget's text, tooltip and placeholder, the tables' headers and cells, the progress bar, the
// status bar, every line of the log pane, and the dialogs' texts. The test fails on any English
// word, and on any text that is an English source of the three catalogs.
#include "agency_window.h"
#include "support/program_runner.h"

#include "common/translations.h"
#include "lottery/agency/user_messages.h"

#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QFile>
#include <QFileDialog>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableView>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTextDocumentFragment>
#include <QTimer>
#include <QXmlStreamReader>

#include <memory>
#include <set>

using namespace lottery;
using lottery::gui::AgencyWindow;
using lottery::gui::UploadController;
using lottery::testing::AgencyProcess;
using lottery::testing::ServerProcess;
using Phase = UploadController::Phase;

namespace {

constexpr int kLongWaitMs = 60000;

// Words of English that Spanish does not use (a, no, error, host, token, total... are left
// out: Spanish writes them too).
const std::set<QString> &englishWords()
{
    static const std::set<QString> words = [] {
        std::set<QString> result;
        for (const char *word :
            {"the", "and", "of", "to", "is", "are", "was", "be", "not", "cannot", "could", "can",
                "with", "from", "this", "that", "these", "there", "file", "files", "folder",
                "server", "servers", "connect", "connection", "connected", "refused", "bet", "bets",
                "winner", "winners", "upload", "uploading", "failed", "failure", "detail",
                "details", "left", "unknown", "time", "stored", "sent", "waiting", "draw", "done",
                "cancelled", "canceled", "retry", "retrying", "resume", "agency", "open", "read",
                "write", "directory", "such", "found", "please", "choose", "name", "type", "save",
                "all", "look", "in", "on", "at", "after", "before", "row", "rows", "invalid",
                "valid", "lost", "timed", "out", "reset", "closed", "network", "remote",
                "unreachable", "attempt", "batch", "batches", "ready", "reading", "sending",
                "connecting", "cancel", "export", "exported", "winning", "number", "document",
                "first", "last", "line", "reason", "settings", "language", "system", "browse",
                "port", "press", "check", "exists", "replace", "new", "back", "forward", "view",
                "detail", "size", "date", "modified", "kind", "hidden", "show", "yes", "cannot",
                "already", "holds", "pending", "get", "stopped", "finishing", "average",
                "unsupported", "permission", "denied", "directory", "computer", "parent"})
            result.insert(QString::fromLatin1(word));
        return result;
    }();
    return words;
}

// Every <source> of the three catalogs: the English a translation replaces.
QSet<QString> englishSources()
{
    QSet<QString> sources;
    for (const char *path :
        {"agency-gui/translations/agency_es_AR.ts", "agency-cli/translations/agency_cli_es_AR.ts",
            "agency/translations/lottery_agency_es_AR.ts"}) {
        QFile file(QStringLiteral(LOTTERY_SOURCE_DIR "/") + QLatin1String(path));
        if (!file.open(QIODevice::ReadOnly))
            qFatal("cannot read %s", path);
        QXmlStreamReader xml(&file);
        while (!xml.atEnd()) {
            if (xml.readNext() == QXmlStreamReader::StartElement
                && xml.name() == QLatin1String("source"))
                sources.insert(xml.readElementText().remove(QLatin1Char('&')));
        }
    }
    return sources;
}

// What the words of `text` are, once the paths, file names, addresses, digests and numbers a
// person typed or the machine named are taken out.
QStringList wordsOf(QString text)
{
    static const QRegularExpression names(
        QStringLiteral("\\S*[/\\\\]\\S*|\\S+\\.(csv|pem|crt|ini|png|txt)\\b|\\S+:\\d+\\S*"
                       "|\\b[0-9a-f]{16,}\\b"));
    text.remove(QLatin1Char('&'));
    text.replace(names, QStringLiteral(" "));
    static const QRegularExpression nonLetters(QStringLiteral("[^\\p{L}]+"));
    return text.toLower().split(nonLetters, Qt::SkipEmptyParts);
}

// Texts a person may read in either language: the language names in their own language, and
// the dialog button of Qt's that Spanish writes the same.
bool allowedAsIs(const QString &text)
{
    static const QStringList allowed {QStringLiteral("English")};
    return allowed.contains(text);
}

class EnglishDetector
{
public:
    EnglishDetector() : m_sources(englishSources()) { }

    // Records where English was found in `text`, shown at `where`.
    void check(const QString &where, const QString &text)
    {
        const QString plain = text.trimmed();
        if (plain.isEmpty() || allowedAsIs(plain))
            return;
        QString stripped = plain;
        stripped.remove(QLatin1Char('&'));
        if (m_sources.contains(stripped) && !sameInSpanish(stripped)) {
            m_found << QStringLiteral("%1: an English source: '%2'").arg(where, plain);
            return;
        }
        for (const QString &word : wordsOf(plain)) {
            if (englishWords().count(word) > 0) {
                m_found << QStringLiteral("%1: '%2' in '%3'").arg(where, word, plain);
                return;
            }
        }
        ++m_checked;
    }

    // Every text of `root` and its visible children a person can read.
    void checkWidget(const QString &step, QWidget *root)
    {
        check(step + QStringLiteral(" title"), root->windowTitle());
        QList<QWidget *> widgets = root->findChildren<QWidget *>();
        widgets.prepend(root);
        for (QWidget *widget : widgets) {
            if (!widget->isVisibleTo(root) && widget != root)
                continue;
            const QString where = QStringLiteral("%1 %2 '%3'")
                                      .arg(step, QLatin1String(widget->metaObject()->className()),
                                          widget->objectName());
            check(where + QStringLiteral(".toolTip"), widget->toolTip());
            check(where + QStringLiteral(".whatsThis"), widget->whatsThis());
            if (auto *label = qobject_cast<QLabel *>(widget))
                check(where, QTextDocumentFragment::fromHtml(label->text()).toPlainText());
            if (auto *button = qobject_cast<QAbstractButton *>(widget))
                check(where, button->text());
            if (auto *edit = qobject_cast<QLineEdit *>(widget))
                check(where + QStringLiteral(".placeholder"), edit->placeholderText());
            if (auto *box = qobject_cast<QGroupBox *>(widget))
                check(where, box->title());
            if (auto *bar = qobject_cast<QProgressBar *>(widget))
                check(where, bar->text());
            if (auto *combo = qobject_cast<QComboBox *>(widget)) {
                for (int i = 0; i < combo->count(); ++i)
                    check(where + QStringLiteral(".item"), combo->itemText(i));
            }
            if (auto *log = qobject_cast<QPlainTextEdit *>(widget)) {
                for (const QString &line : log->toPlainText().split(QLatin1Char('\n')))
                    check(where, line);
            }
            if (auto *view = qobject_cast<QAbstractItemView *>(widget)) {
                const QAbstractItemModel *model = view->model();
                if (!model)
                    continue;
                for (int c = 0; c < model->columnCount(view->rootIndex()); ++c)
                    check(where + QStringLiteral(".header"),
                        model->headerData(c, Qt::Horizontal).toString());
                for (int r = 0; r < std::min(model->rowCount(view->rootIndex()), 50); ++r) {
                    for (int c = 0; c < model->columnCount(view->rootIndex()); ++c)
                        check(where + QStringLiteral(".cell"),
                            model->index(r, c, view->rootIndex()).data().toString());
                }
            }
        }
        if (auto *window = qobject_cast<QMainWindow *>(root))
            check(step + QStringLiteral(" status bar"), window->statusBar()->currentMessage());
    }

    QStringList found() const { return m_found; }
    int checked() const { return m_checked; }

private:
    static bool sameInSpanish(const QString &text)
    {
        return text == QLatin1String("Error: %1: %2");
    }

    QSet<QString> m_sources;
    QStringList m_found;
    int m_checked = 0;
};

} // namespace

class TestAgencyGuiSpanish : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void aDayInSpanish();
    void fitsASmallScreen();

private:
    template<typename T> T *child(const char *name) const
    {
        T *widget = m_window->findChild<T *>(QLatin1String(name));
        if (!widget)
            qFatal("no widget named %s", name);
        return widget;
    }
    void look(const QString &step)
    {
        QCoreApplication::processEvents();
        m_detector.checkWidget(step, m_window.get());
    }
    void clickUpload()
    {
        auto *upload = child<QPushButton>("uploadButton");
        QVERIFY(upload->isEnabled());
        QTest::mouseClick(upload, Qt::LeftButton);
    }
    QString errorText() const
    {
        return QTextDocumentFragment::fromHtml(child<QLabel>("errorLabel")->text()).toPlainText();
    }
    QString logText() const { return child<QPlainTextEdit>("logView")->toPlainText(); }

    EnglishDetector m_detector;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<AgencyWindow> m_window;
};

void TestAgencyGuiSpanish::initTestCase()
{
    QVERIFY(installTranslations(
        Language::Spanish, {QStringLiteral("agency"), agency::UserMessages::catalog()}));
}

void TestAgencyGuiSpanish::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_settings = std::make_unique<QSettings>(
        m_dir->filePath(QStringLiteral("agencia.ini")), QSettings::IniFormat);
    m_window = std::make_unique<AgencyWindow>(m_settings.get());
    m_window->show();
}

void TestAgencyGuiSpanish::cleanup()
{
    m_window.reset();
    m_settings.reset();
    m_dir.reset();
}

void TestAgencyGuiSpanish::aDayInSpanish()
{
    const QString data = m_dir->filePath(QStringLiteral("agencia-1.csv"));
    constexpr int kBets = 20000;
    QVERIFY(lottery::testing::writeAgencyFile(data, 1, kBets, 997));
    UploadController *controller = m_window->controller();
    look(QStringLiteral("opened"));

    // 1. The server is down: nothing listens on the port.
    quint16 deadPort = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        deadPort = probe.serverPort();
    }
    controller->setConnectTimeout(std::chrono::milliseconds(500));
    child<QLineEdit>("hostEdit")->setText(QStringLiteral("127.0.0.1"));
    child<QSpinBox>("portSpin")->setValue(deadPort);
    child<QSpinBox>("agencySpin")->setValue(1);
    m_window->setDataFile(data);
    child<QSpinBox>("batchSpin")->setValue(10);
    QTRY_COMPARE_WITH_TIMEOUT(
        controller->previewState(), UploadController::PreviewState::Ready, kLongWaitMs);
    look(QStringLiteral("file read"));
    clickUpload();
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Failed, kLongWaitMs);
    QVERIFY2(errorText().contains(QString::fromUtf8("No se llega al servidor")),
        qPrintable(errorText()));
    // Retrying can help here (the server may come up), and the button says so.
    QVERIFY2(errorText().contains(QStringLiteral("Reintentar")), qPrintable(errorText()));
    QCOMPARE(child<QPushButton>("uploadButton")->text(), QStringLiteral("&Reintentar"));
    QVERIFY2(logText().contains(QStringLiteral("Detalle: servidor 127.0.0.1:%1; "
                                               "se rechazó la conexión")
                                    .arg(deadPort)),
        qPrintable(logText()));
    look(QStringLiteral("server down"));

    // 2. The port is corrected: the old failure goes away at once.
    const QString storage = m_dir->filePath(QStringLiteral("bets.csv"));
    auto server = std::make_unique<ServerProcess>();
    QVERIFY(server->start(2, storage));
    const quint16 port = server->port();
    child<QSpinBox>("portSpin")->setValue(port);
    QCOMPARE(controller->phase(), Phase::Idle);
    QVERIFY(!child<QLabel>("errorLabel")->isVisible());
    QCOMPARE(child<QPushButton>("uploadButton")->text(), QStringLiteral("S&ubir"));
    look(QStringLiteral("port changed"));

    // 3. Cancel mid-upload: the button and the log name the same action.
    auto *cancel = child<QPushButton>("cancelButton");
    auto cancelOnce = connect(controller, &UploadController::progressChanged, this,
        [cancel](qint64 acknowledged, qint64) {
            if (acknowledged >= 500 && cancel->isEnabled())
                QTest::mouseClick(cancel, Qt::LeftButton);
        });
    clickUpload();
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Cancelled, kLongWaitMs);
    disconnect(cancelOnce);
    QVERIFY(controller->acknowledged() < kBets);
    QCOMPARE(child<QPushButton>("uploadButton")->text(), QStringLiteral("&Continuar"));
    QVERIFY2(
        logText().contains(QStringLiteral("Continuar sigue desde ahí")), qPrintable(logText()));
    look(QStringLiteral("cancelled"));

    // 4. Resume; the server goes down mid-upload (killed) and stays down past the reconnect
    // time: retrying may help, and says so.
    controller->setReconnectTimeout(std::chrono::milliseconds(1500));
    const qint64 resumedFrom = controller->acknowledged();
    auto killOnce = connect(controller, &UploadController::progressChanged, this,
        [&server, resumedFrom](qint64 acknowledged, qint64) {
            if (acknowledged >= resumedFrom + 1000 && server->isRunning())
                server->kill();
        });
    clickUpload();
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Failed, kLongWaitMs);
    disconnect(killOnce);
    QVERIFY2(errorText().contains(QStringLiteral("Reintentar")), qPrintable(errorText()));
    QCOMPARE(child<QPushButton>("uploadButton")->text(), QStringLiteral("&Reintentar"));
    look(QStringLiteral("server lost"));

    // 5. The server is back on its port: Retry resumes. Agency 2 has not finished, so the
    // draw waits; cancelling now stops nothing of the upload: every bet is stored and the
    // agency is done.
    server = std::make_unique<ServerProcess>();
    QVERIFY(server->start(2, storage, {QStringLiteral("--port"), QString::number(port)}));
    clickUpload();
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::WaitingForDraw, kLongWaitMs);
    look(QStringLiteral("waiting for the draw"));
    QTest::mouseClick(cancel, Qt::LeftButton);
    QCOMPARE(controller->phase(), Phase::DrawPending);
    QVERIFY2(child<QLabel>("phaseLabel")->text().contains(QStringLiteral("guardadas")),
        qPrintable(child<QLabel>("phaseLabel")->text()));
    QVERIFY(!child<QLabel>("phaseLabel")->text().contains(QStringLiteral("Cancelado")));
    QCOMPARE(child<QPushButton>("uploadButton")->text(), QStringLiteral("&Pedir ganadores"));
    QVERIFY2(logText().contains(QStringLiteral("Pedir ganadores")), qPrintable(logText()));
    look(QStringLiteral("draw pending"));

    // 6. Agency 2 finishes (agency-cli); "Get winners" gets them.
    const QString data2 = m_dir->filePath(QStringLiteral("agencia-2.csv"));
    QVERIFY(lottery::testing::writeAgencyFile(data2, 2, 100, 50));
    AgencyProcess other;
    other.start(2, server->address(), data2);
    QVERIFY(other.waitForFinished(kLongWaitMs));
    QCOMPARE(other.exitCode(), 0);
    clickUpload();
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Done, kLongWaitMs);
    const int winners = lottery::testing::countWinnersInFile(data);
    QTRY_COMPARE(child<QTableView>("winnersView")->model()->rowCount(), winners);
    QCOMPARE(
        child<QLabel>("winnersCountLabel")->text(), QStringLiteral("%1 ganadores").arg(winners));
    look(QStringLiteral("winners"));

    // 7. Export through Qt's file dialog: its words are the app's ("archivo", never
    // "fichero"), the suggested name and the header are Spanish. Then the same name again:
    // the overwrite question is Spanish too.
    const QString exported = m_dir->filePath(QStringLiteral("ganadores-agencia-1.csv"));
    QString suggested;
    QStringList dialogWords;
    bool sawOverwrite = false;
    // Qt's dialogs are modal: a timer answers them as a person would, reading them first.
    QTimer answer;
    answer.setInterval(50);
    connect(&answer, &QTimer::timeout, this, [&] {
        QWidget *modal = QApplication::activeModalWidget();
        if (auto *box = qobject_cast<QMessageBox *>(modal)) {
            m_detector.checkWidget(QStringLiteral("overwrite question"), box);
            dialogWords << box->text();
            sawOverwrite = true;
            if (QAbstractButton *yes = box->button(QMessageBox::Yes))
                yes->click();
            else
                box->accept();
        } else if (auto *dialog = qobject_cast<QFileDialog *>(modal)) {
            m_detector.checkWidget(QStringLiteral("save dialog"), dialog);
            for (QLabel *label : dialog->findChildren<QLabel *>())
                dialogWords << label->text();
            suggested = dialog->selectedFiles().value(0);
            dialog->selectFile(exported);
            // Queued: the overwrite question it may ask is modal too, and this timer must be
            // free to answer it.
            QMetaObject::invokeMethod(dialog, "accept", Qt::QueuedConnection);
        }
    });
    answer.start();
    QTest::mouseClick(child<QPushButton>("exportButton"), Qt::LeftButton);
    QTRY_VERIFY(QFile::exists(exported));
    QCOMPARE(QFileInfo(suggested).fileName(), QStringLiteral("ganadores-agencia-1.csv"));
    QFile file(exported);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readLine(), QString::fromUtf8("documento,nombre,apellido,número\n").toUtf8());
    file.close();
    QVERIFY2(!dialogWords.join(QLatin1Char(' ')).contains(QStringLiteral("ichero")),
        qPrintable(dialogWords.join(QLatin1Char('|'))));
    QVERIFY2(dialogWords.join(QLatin1Char(' ')).contains(QStringLiteral("archivo")),
        qPrintable(dialogWords.join(QLatin1Char('|'))));
    // The same name again: Qt asks whether to replace it.
    QTest::mouseClick(child<QPushButton>("exportButton"), Qt::LeftButton);
    QTRY_VERIFY(sawOverwrite);
    QTRY_VERIFY(logText().count(QStringLiteral("Ganadores exportados")) == 2);
    QVERIFY2(!dialogWords.join(QLatin1Char(' ')).contains(QStringLiteral("ichero")),
        qPrintable(dialogWords.join(QLatin1Char('|'))));
    answer.stop();
    look(QStringLiteral("exported"));

    // 8. A changed file that cannot be read (a folder): said in Spanish, and no "Retry" where
    // retrying, unchanged, cannot help.
    const QString folder = m_dir->filePath(QStringLiteral("una-carpeta.csv"));
    QVERIFY(QDir().mkpath(folder));
    m_window->setDataFile(folder);
    QTRY_COMPARE(controller->previewState(), UploadController::PreviewState::Failed);
    QVERIFY2(child<QLabel>("summaryLabel")->text().contains(QStringLiteral("es una carpeta")),
        qPrintable(child<QLabel>("summaryLabel")->text()));
    look(QStringLiteral("unreadable file chosen"));
    clickUpload();
    QTRY_COMPARE_WITH_TIMEOUT(controller->phase(), Phase::Failed, kLongWaitMs);
    QVERIFY2(errorText().contains(QStringLiteral("es una carpeta")), qPrintable(errorText()));
    QVERIFY2(!errorText().contains(QStringLiteral("Reintentar")), qPrintable(errorText()));
    QCOMPARE(child<QPushButton>("uploadButton")->text(), QStringLiteral("S&ubir"));
    look(QStringLiteral("unreadable file"));

    // 9. The file is changed back: the failure goes, the preview counts with plural forms.
    const QString small = m_dir->filePath(QStringLiteral("agencia-chica.csv"));
    QVERIFY(lottery::testing::writeAgencyFile(small, 1, 1, 1000));
    m_window->setDataFile(small);
    QCOMPARE(controller->phase(), Phase::Idle);
    QVERIFY(!child<QLabel>("errorLabel")->isVisible());
    QTRY_COMPARE(controller->previewState(), UploadController::PreviewState::Ready);
    QCOMPARE(child<QLabel>("summaryLabel")->text(),
        QString::fromUtf8("1 apuesta para enviar, 0 filas inválidas (no se envían), 0 números "
                          "ganadores."));
    look(QStringLiteral("file changed back"));

    // 10. A file that looks wrong (most rows invalid): the question before sending it, its
    // answer "No enviar", and the invalid rows' reasons, all Spanish.
    const QString odd = m_dir->filePath(QStringLiteral("agencia-rara.csv"));
    {
        QFile rows(odd);
        QVERIFY(rows.open(QIODevice::WriteOnly));
        rows.write("Ana,Gomez,30111222,1990-05-17,12\r\n"
                   "Eva,Paz,40111222,1985-02-30,1\r\n"
                   "Sol,Luna,40111223,1985-02-31,2\r\n"
                   "Luz,Rio,40111224,1985-13-01,3\r\n");
    }
    m_window->setDataFile(odd);
    QTRY_COMPARE(controller->previewState(), UploadController::PreviewState::Ready);
    clickUpload();
    QMessageBox *question = nullptr;
    QTRY_VERIFY(
        (question = m_window->findChild<QMessageBox *>(QStringLiteral("suspiciousFileDialog")))
        != nullptr);
    QTRY_VERIFY(question->isVisible());
    m_detector.checkWidget(QStringLiteral("suspicious file question"), question);
    QTest::mouseClick(
        question->findChild<QPushButton *>(QStringLiteral("dontSendButton")), Qt::LeftButton);
    QTRY_COMPARE(controller->phase(), Phase::Idle);
    look(QStringLiteral("suspicious file not sent"));

    QVERIFY(server->terminate());
    QVERIFY2(m_detector.found().isEmpty(), qPrintable(m_detector.found().join(QLatin1Char('\n'))));
    QVERIFY(m_detector.checked() > 100);
}

// A 1024x600 screen (a netbook's, a small point-of-sale screen): the window fits it with its
// frame and a panel, nothing is squeezed below its own minimum, and what does not fit scrolls.
void TestAgencyGuiSpanish::fitsASmallScreen()
{
    const QSize screen(1024, 600);
    const QSize usable = screen - QSize(16, 48);
    QVERIFY2(m_window->minimumSizeHint().width() <= usable.width()
            && m_window->minimumSizeHint().height() <= usable.height(),
        qPrintable(QStringLiteral("%1x%2")
                       .arg(m_window->minimumSizeHint().width())
                       .arg(m_window->minimumSizeHint().height())));
    m_window->resize(usable);
    QTRY_COMPARE(m_window->size(), usable);
    auto *scroll = m_window->findChild<QScrollArea *>(QStringLiteral("contentScroll"));
    QVERIFY(scroll);
    // Neither sideways nor downwards scrolling at 1024x600: everything fits.
    QTRY_VERIFY(!scroll->horizontalScrollBar()->isVisible());
    QTRY_VERIFY(!scroll->verticalScrollBar()->isVisible());
    for (QWidget *widget : m_window->findChildren<QWidget *>()) {
        // A spin box's own line edit is the spin box's business.
        if (!widget->isVisible() || widget->minimumSizeHint().isEmpty()
            || qobject_cast<QAbstractSpinBox *>(widget->parentWidget()))
            continue;
        if (qobject_cast<QAbstractButton *>(widget) || qobject_cast<QLineEdit *>(widget)
            || qobject_cast<QSpinBox *>(widget) || qobject_cast<QComboBox *>(widget)) {
            QVERIFY2(widget->width() >= widget->minimumSizeHint().width()
                    && widget->height() >= widget->minimumSizeHint().height(),
                qPrintable(QStringLiteral("%1 squeezed to %2x%3")
                               .arg(widget->objectName())
                               .arg(widget->width())
                               .arg(widget->height())));
        }
    }
    // The buttons a clerk needs are within reach: inside the window, or a scroll away.
    for (const char *name : {"uploadButton", "cancelButton", "exportButton"}) {
        QWidget *button = child<QPushButton>(name);
        scroll->ensureWidgetVisible(button);
        const QRect inWindow(button->mapTo(m_window.get(), QPoint(0, 0)), button->size());
        QVERIFY2(m_window->rect().contains(inWindow), name);
    }
}

QTEST_MAIN(TestAgencyGuiSpanish)
#include "tst_agency_gui_spanish.moc"
