#include "agency_window.h"

#include "lottery/agency/duration_text.h"
#include "lottery/agency/user_messages.h"

#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace lottery::gui {

namespace {

// The progress bar counts in tenths of a percent, whatever the number of bets.
constexpr int kProgressSteps = 1000;
constexpr int kMaxLogLines = 5000;
// The tables and the log shrink to a few lines on a small screen (1024x600, a netbook's).
constexpr int kMinListHeight = 60;
constexpr QSize kPreferredSize(1000, 720);

QTableView *makeTable(QAbstractItemModel *model, const QString &name)
{
    auto *view = new QTableView;
    view->setObjectName(name);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    // Fixed row height: sizing rows to contents would measure every row of a long list.
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setMinimumHeight(kMinListHeight);
    return view;
}

// A group box that asks its column for its minimum height, not for height-for-width: its
// word-wrapped label (the file's summary, an error) would make the whole layout
// height-for-width, and then a QScrollArea gives the content its preferred height (it
// scrolled on a 1024x600 screen where everything fits) and a column squeezes its other boxes
// below their minimum. Inside the box the label still wraps.
class WrappingBox : public QGroupBox
{
public:
    using QGroupBox::QGroupBox;
    bool hasHeightForWidth() const override { return false; }
};

// The content in a scroll area: on a screen smaller than the layout's minimum the window still
// fits, and whatever is left out is a scroll away, never cut off.
QScrollArea *scrollable(QWidget *content)
{
    auto *area = new QScrollArea;
    area->setObjectName(QStringLiteral("contentScroll"));
    area->setWidget(content);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    return area;
}

// Why `path` could not be written, found on the file system; QSaveFile's own text is Qt's,
// partly English.
QString unwritableReason(const QString &path)
{
    const QFileInfo info(path);
    const QFileInfo folder(info.absolutePath());
    if (info.isDir())
        return AgencyWindow::tr("%1 is a folder").arg(path);
    if (!folder.isDir())
        return AgencyWindow::tr("the folder %1 does not exist").arg(folder.filePath());
    if (!folder.isWritable() || (info.exists() && !info.isWritable()))
        return AgencyWindow::tr("this user may not write there");
    return AgencyWindow::tr("the disk did not take the file (is it full?)");
}

// Words of Qt's file dialog said our way: qtbase_es.qm (Spain's Spanish) says "fichero" where
// this app says "archivo", and has a few slips. Their translations in agency_es_AR.ts are
// asked before Qt's (installTranslations installs the program's catalogs last).
[[maybe_unused]] constexpr const char *kQtWordsSaidOurWay[] {
    QT_TRANSLATE_NOOP("QFileDialog", "File &name:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of type:"),
    QT_TRANSLATE_NOOP("QFileDialog", "All Files (*)"),
    QT_TRANSLATE_NOOP("QFileDialog", "Show &hidden files"),
    QT_TRANSLATE_NOOP("QFileDialog", "File Folder"),
    QT_TRANSLATE_NOOP("QFileDialog", "Go to the parent directory"),
    QT_TRANSLATE_NOOP("QFileDialog", "%1 already exists.\nDo you want to replace it?"),
    QT_TRANSLATE_NOOP(
        "QFileDialog", "%1\nFile not found.\nPlease verify the correct file name was given."),
    QT_TRANSLATE_NOOP("QFileSystemModel", "Invalid filename"),
};
// The type column of the file dialog: qtbase_es.qm has none of these.
[[maybe_unused]] constexpr const char *kQtWordsMissing[][2] {
    QT_TRANSLATE_NOOP3("QAbstractFileIconProvider", "Folder", "All other platforms"),
    QT_TRANSLATE_NOOP3("QAbstractFileIconProvider", "Drive", ""),
    QT_TRANSLATE_NOOP3("QAbstractFileIconProvider", "File", ""),
};

// A local CSV file among dropped URLs, or an empty string.
QString droppedCsv(const QMimeData *mime)
{
    if (!mime || !mime->hasUrls() || mime->urls().size() != 1)
        return {};
    const QUrl url = mime->urls().constFirst();
    if (!url.isLocalFile())
        return {};
    const QString path = url.toLocalFile();
    return QFileInfo(path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0
        ? path
        : QString();
}

} // namespace

AgencyWindow::AgencyWindow(QSettings *settings, QWidget *parent)
    : QMainWindow(parent), m_settings(settings)
{
    setWindowTitle(tr("Lotería: agency upload"));
    setAcceptDrops(true);

    auto *central = new QWidget;
    auto *columns = new QHBoxLayout;
    auto *left = new QVBoxLayout;
    left->addWidget(buildSettingsBox());
    left->addWidget(buildPreviewBox(), 1);
    auto *right = new QVBoxLayout;
    right->addWidget(buildUploadBox());
    right->addWidget(buildWinnersBox(), 1);
    columns->addLayout(left, 1);
    columns->addLayout(right, 1);
    auto *layout = new QVBoxLayout(central);
    layout->addLayout(columns, 3);
    layout->addWidget(buildLogBox(), 1);
    setCentralWidget(scrollable(central));
    resize(initialSize());
    setTabOrder();
    // Outside a dialog Return does not press a focused button unless it is autoDefault.
    for (QPushButton *button : findChildren<QPushButton *>())
        button->setAutoDefault(true);

    connectController();
    setFields(m_settings ? UploadSettings::load(*m_settings) : UploadSettings {});
    const QString language
        = m_settings ? m_settings->value(QStringLiteral("ui/language")).toString() : QString();
    m_languageCombo->setCurrentIndex(std::max(0, m_languageCombo->findData(language)));
    connect(m_languageCombo, &QComboBox::currentIndexChanged, this, &AgencyWindow::chooseLanguage);
    onPhaseChanged(UploadController::Phase::Idle);
}

AgencyWindow::~AgencyWindow() = default;

QSize AgencyWindow::initialSize() const
{
    const QScreen *screen = this->screen();
    if (!screen)
        return kPreferredSize;
    // The frame and a panel take some of the screen: leave them room.
    const QSize available = screen->availableSize() - QSize(16, 48);
    return kPreferredSize.boundedTo(available).expandedTo(minimumSizeHint());
}

QWidget *AgencyWindow::buildSettingsBox()
{
    m_settingsBox = new QGroupBox(tr("Upload settings"));
    m_settingsBox->setObjectName(QStringLiteral("settingsBox"));
    m_hostEdit = new QLineEdit;
    m_hostEdit->setObjectName(QStringLiteral("hostEdit"));
    m_hostEdit->setPlaceholderText(tr("host, or host:port,host:port to fail over in order"));
    m_hostEdit->setToolTip(tr("One server, or a comma-separated list tried in order when one "
                              "is lost; an entry without a port uses the Port field."));
    m_portSpin = new QSpinBox;
    m_portSpin->setObjectName(QStringLiteral("portSpin"));
    m_portSpin->setRange(1, 65535);
    m_portSpin->setToolTip(tr("The server's TCP port"));
    m_agencySpin = new QSpinBox;
    m_agencySpin->setObjectName(QStringLiteral("agencySpin"));
    m_agencySpin->setRange(1, 1000000);
    m_agencySpin->setToolTip(tr("This agency's number, as the lottery assigned it"));
    m_fileEdit = new QLineEdit;
    m_fileEdit->setObjectName(QStringLiteral("fileEdit"));
    m_fileEdit->setPlaceholderText(tr("choose or drop a CSV file"));
    m_browseButton = new QPushButton(tr("&Browse..."));
    m_browseButton->setObjectName(QStringLiteral("browseButton"));
    m_browseButton->setToolTip(tr("Choose the agency's bets file"));
    m_batchSpin = new QSpinBox;
    m_batchSpin->setObjectName(QStringLiteral("batchSpin"));
    m_batchSpin->setRange(1, 0xFFFF);
    m_batchSpin->setToolTip(tr("Bets sent in each batch"));
    m_caEdit = new QLineEdit;
    m_caEdit->setObjectName(QStringLiteral("caEdit"));
    m_caEdit->setPlaceholderText(tr("CA certificate (PEM) for TLS; empty: no TLS"));
    m_caBrowseButton = new QPushButton(tr("Br&owse..."));
    m_caBrowseButton->setObjectName(QStringLiteral("caBrowseButton"));
    m_caBrowseButton->setToolTip(tr("Choose the CA certificate"));
    m_tokenFileEdit = new QLineEdit;
    m_tokenFileEdit->setObjectName(QStringLiteral("tokenFileEdit"));
    m_tokenFileEdit->setPlaceholderText(tr("file holding the agency's token; empty: none"));
    m_tokenBrowseButton = new QPushButton(tr("Bro&wse..."));
    m_tokenBrowseButton->setObjectName(QStringLiteral("tokenBrowseButton"));
    m_tokenBrowseButton->setToolTip(tr("Choose the token file"));
    m_languageCombo = new QComboBox;
    m_languageCombo->setObjectName(QStringLiteral("languageCombo"));
    // Each language in its own name, so a person who cannot read the current one finds theirs.
    m_languageCombo->addItem(tr("System language"), QString());
    m_languageCombo->addItem(QString::fromUtf8("Español"), QStringLiteral("es"));
    m_languageCombo->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_languageCombo->setToolTip(tr("The language of this app; it changes on the next start"));

    const auto withButton = [](QWidget *field, QPushButton *button) {
        auto *row = new QHBoxLayout;
        row->addWidget(field, 1);
        row->addWidget(button);
        return row;
    };
    // Labels with mnemonics (Alt+letter) and buddies: the keyboard reaches every field.
    const auto label = [](const QString &text, QWidget *buddy) {
        auto *l = new QLabel(text);
        l->setBuddy(buddy);
        return l;
    };
    auto *server = new QHBoxLayout;
    server->addWidget(m_hostEdit, 1);
    server->addWidget(label(tr("&Port"), m_portSpin));
    server->addWidget(m_portSpin);
    auto *form = new QFormLayout(m_settingsBox);
    form->addRow(label(tr("&Server"), m_hostEdit), server);
    form->addRow(label(tr("&Agency"), m_agencySpin), m_agencySpin);
    form->addRow(label(tr("Bets &file"), m_fileEdit), withButton(m_fileEdit, m_browseButton));
    form->addRow(label(tr("Batch si&ze"), m_batchSpin), m_batchSpin);
    form->addRow(label(tr("&CA file"), m_caEdit), withButton(m_caEdit, m_caBrowseButton));
    form->addRow(label(tr("&Token file"), m_tokenFileEdit),
        withButton(m_tokenFileEdit, m_tokenBrowseButton));
    form->addRow(label(tr("&Language"), m_languageCombo), m_languageCombo);

    connect(m_browseButton, &QPushButton::clicked, this, &AgencyWindow::browseForFile);
    connect(m_caBrowseButton, &QPushButton::clicked, this, &AgencyWindow::browseForCa);
    connect(m_tokenBrowseButton, &QPushButton::clicked, this, &AgencyWindow::browseForTokenFile);
    // A failure or a cancel shown for other settings no longer applies once a field changes.
    const auto changed = [this] { m_controller.clearOutcome(); };
    for (QLineEdit *edit : {m_hostEdit, m_fileEdit, m_caEdit, m_tokenFileEdit})
        connect(edit, &QLineEdit::textChanged, this, changed);
    for (QSpinBox *spin : {m_portSpin, m_agencySpin, m_batchSpin})
        connect(spin, &QSpinBox::valueChanged, this, changed);
    connect(m_fileEdit, &QLineEdit::editingFinished, this, [this] {
        if (m_fileEdit->text().trimmed() != m_controller.previewPath())
            setDataFile(m_fileEdit->text().trimmed());
    });
    return m_settingsBox;
}

QWidget *AgencyWindow::buildPreviewBox()
{
    auto *box = new WrappingBox(tr("Bets file"));
    m_summaryLabel = new QLabel(tr("No file read yet."));
    m_summaryLabel->setObjectName(QStringLiteral("summaryLabel"));
    m_summaryLabel->setWordWrap(true);
    m_invalidRowsView
        = makeTable(m_controller.invalidRowsModel(), QStringLiteral("invalidRowsView"));
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(m_summaryLabel);
    layout->addWidget(m_invalidRowsView, 1);
    return box;
}

QWidget *AgencyWindow::buildUploadBox()
{
    auto *box = new WrappingBox(tr("Upload"));
    m_phaseLabel = new QLabel;
    m_phaseLabel->setObjectName(QStringLiteral("phaseLabel"));
    QFont bold = m_phaseLabel->font();
    bold.setBold(true);
    m_phaseLabel->setFont(bold);
    m_progressBar = new QProgressBar;
    m_progressBar->setObjectName(QStringLiteral("progressBar"));
    m_progressBar->setRange(0, kProgressSteps);
    m_progressBar->setValue(0);
    m_speedLabel = new QLabel;
    m_speedLabel->setObjectName(QStringLiteral("speedLabel"));
    m_errorLabel = new QLabel;
    m_errorLabel->setObjectName(QStringLiteral("errorLabel"));
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setTextFormat(Qt::RichText);
    m_errorLabel->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_errorLabel->hide();
    m_uploadButton = new QPushButton(tr("&Upload"));
    m_uploadButton->setObjectName(QStringLiteral("uploadButton"));
    m_uploadButton->setDefault(true);
    m_uploadButton->setToolTip(tr("Send the bets to the server (Enter)"));
    m_cancelButton = new QPushButton(tr("Ca&ncel"));
    m_cancelButton->setObjectName(QStringLiteral("cancelButton"));
    m_cancelButton->setShortcut(QKeySequence(Qt::Key_Escape));
    m_cancelButton->setToolTip(tr("Stop the upload; the server keeps what it stored (Esc)"));

    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_cancelButton);
    buttons->addWidget(m_uploadButton);
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(m_phaseLabel);
    layout->addWidget(m_progressBar);
    layout->addWidget(m_speedLabel);
    layout->addWidget(m_errorLabel);
    layout->addLayout(buttons);

    connect(m_uploadButton, &QPushButton::clicked, this, &AgencyWindow::startUpload);
    connect(m_cancelButton, &QPushButton::clicked, this, &AgencyWindow::cancelUpload);
    return box;
}

QWidget *AgencyWindow::buildWinnersBox()
{
    auto *box = new QGroupBox(tr("Winners of this agency"));
    m_winnersCountLabel = new QLabel(tr("The winners appear here after the draw."));
    m_winnersCountLabel->setObjectName(QStringLiteral("winnersCountLabel"));
    m_winnersView = makeTable(m_controller.winnersModel(), QStringLiteral("winnersView"));
    m_winnersView->horizontalHeader()->setStretchLastSection(false);
    m_winnersView->horizontalHeader()->setSectionResizeMode(
        WinnersModel::LastNameColumn, QHeaderView::Stretch);
    m_exportButton = new QPushButton(tr("&Export winners..."));
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    m_exportButton->setToolTip(tr("Save the winners as a CSV file"));
    auto *bottom = new QHBoxLayout;
    bottom->addStretch(1);
    bottom->addWidget(m_exportButton);
    m_receiptButton = new QPushButton(tr("Save &receipt..."));
    m_receiptButton->setObjectName(QStringLiteral("receiptButton"));
    m_receiptButton->setToolTip(
        tr("Save the server's receipt for this agency's stored bets (for an audit)"));
    m_receiptButton->setEnabled(false);
    bottom->addWidget(m_receiptButton);
    connect(m_receiptButton, &QPushButton::clicked, this, &AgencyWindow::exportReceipt);
    connect(&m_controller, &UploadController::receiptChanged, this,
        [this] { m_receiptButton->setEnabled(m_controller.receipt().isValid()); });
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(m_winnersCountLabel);
    layout->addWidget(m_winnersView, 1);
    layout->addLayout(bottom);
    connect(m_exportButton, &QPushButton::clicked, this, &AgencyWindow::exportWinners);
    return box;
}

QWidget *AgencyWindow::buildLogBox()
{
    auto *box = new QGroupBox(tr("Log"));
    m_logView = new QPlainTextEdit;
    m_logView->setObjectName(QStringLiteral("logView"));
    m_logView->setReadOnly(true);
    m_logView->setMaximumBlockCount(kMaxLogLines);
    m_logView->setMinimumHeight(kMinListHeight);
    auto *layout = new QVBoxLayout(box);
    layout->addWidget(m_logView);
    return box;
}

void AgencyWindow::connectController()
{
    UploadController *c = &m_controller;
    connect(c, &UploadController::phaseChanged, this, &AgencyWindow::onPhaseChanged);
    connect(c, &UploadController::progressChanged, this, &AgencyWindow::onProgress);
    connect(c, &UploadController::speedChanged, this, &AgencyWindow::onSpeed);
    connect(c, &UploadController::failed, this, &AgencyWindow::showError);
    connect(c, &UploadController::confirmationNeeded, this, &AgencyWindow::askToSendSuspiciousFile);
    connect(c, &UploadController::logMessage, this, &AgencyWindow::appendLog);
    connect(c, &UploadController::previewStarted, this, [this](const QString &path) {
        m_summaryLabel->setText(tr("Reading %1...").arg(QFileInfo(path).fileName()));
    });
    connect(c, &UploadController::previewProgress, this, [this](int percent) {
        m_summaryLabel->setText(tr("Reading the file... %1 %").arg(percent));
    });
    connect(c, &UploadController::previewReady, this, &AgencyWindow::onPreviewReady);
    connect(c, &UploadController::previewFailed, this, [this](const QString &message) {
        m_summaryLabel->setText(tr("Cannot read the file: %1").arg(message));
    });
    connect(c, &UploadController::winnersReady, this, [this](int count) {
        // Qt's plural forms (%n) for Spanish; English, the source language, has no catalog, so
        // its singular is a message of its own.
        m_winnersCountLabel->setText(
            count == 1 ? tr("%Ln winner", nullptr, count) : tr("%Ln winners", nullptr, count));
        m_winnersView->resizeColumnsToContents();
    });
}

UploadSettings AgencyWindow::fields() const
{
    UploadSettings s;
    s.host = m_hostEdit->text().trimmed();
    s.port = static_cast<quint16>(m_portSpin->value());
    s.agency = static_cast<quint32>(m_agencySpin->value());
    s.dataFile = m_fileEdit->text().trimmed();
    s.batchSize = m_batchSpin->value();
    s.caFile = m_caEdit->text().trimmed();
    s.tokenFile = m_tokenFileEdit->text().trimmed();
    return s;
}

void AgencyWindow::setFields(const UploadSettings &settings)
{
    m_hostEdit->setText(settings.host);
    m_portSpin->setValue(settings.port);
    m_agencySpin->setValue(static_cast<int>(settings.agency));
    m_batchSpin->setValue(settings.batchSize);
    m_caEdit->setText(settings.caFile);
    m_tokenFileEdit->setText(settings.tokenFile);
    setDataFile(settings.dataFile);
}

void AgencyWindow::setDataFile(const QString &path)
{
    m_fileEdit->setText(path);
    if (path.isEmpty()) {
        m_summaryLabel->setText(tr("No file chosen."));
        m_controller.previewFile({});
        return;
    }
    m_controller.previewFile(path);
}

void AgencyWindow::startUpload()
{
    if (m_controller.isBusy())
        return;
    saveFields();
    m_controller.upload(fields());
}

void AgencyWindow::cancelUpload()
{
    m_controller.cancel();
}

// The file looks wrong: why, and that sending it closes the agency's upload. Window-modal and
// asynchronous (open(), not exec()): the answer goes to the controller; "Don't send", the
// default and Esc, sends nothing.
void AgencyWindow::askToSendSuspiciousFile(const agency::BetFileSummary &summary)
{
    QString text
        = tr("The file %1 looks wrong:").arg(QFileInfo(m_controller.previewPath()).fileName());
    for (const QString &paragraph : agency::UserMessages::forFileConcerns(summary))
        text += QStringLiteral("\n\n\u2022 ") + paragraph;
    auto *box = new QMessageBox(
        QMessageBox::Warning, tr("Send this file?"), text, QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("suspiciousFileDialog"));
    box->setInformativeText(agency::UserMessages::whatSendingCloses());
    QPushButton *send = box->addButton(tr("&Send anyway"), QMessageBox::AcceptRole);
    send->setObjectName(QStringLiteral("sendAnywayButton"));
    QPushButton *dontSend = box->addButton(tr("&Don't send"), QMessageBox::RejectRole);
    dontSend->setObjectName(QStringLiteral("dontSendButton"));
    box->setDefaultButton(dontSend);
    box->setEscapeButton(dontSend);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this,
        [this, box, send] { m_controller.confirmSuspiciousFile(box->clickedButton() == send); });
    box->open();
}

void AgencyWindow::saveFields()
{
    if (m_settings)
        fields().save(*m_settings);
}

void AgencyWindow::browseForFile()
{
    const QString start = QFileInfo(m_fileEdit->text()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Choose the agency's bets file"), start, tr("CSV files (*.csv);;All files (*)"));
    if (!path.isEmpty())
        setDataFile(path);
}

void AgencyWindow::browseForCa()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose the CA certificate"),
        QFileInfo(m_caEdit->text()).absolutePath(),
        tr("PEM certificates (*.pem *.crt);;All files (*)"));
    if (!path.isEmpty())
        m_caEdit->setText(path);
}

void AgencyWindow::browseForTokenFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose the agency's token file"),
        QFileInfo(m_tokenFileEdit->text()).absolutePath(), tr("All files (*)"));
    if (!path.isEmpty())
        m_tokenFileEdit->setText(path);
}

void AgencyWindow::chooseLanguage(int index)
{
    if (!m_settings)
        return;
    m_settings->setValue(QStringLiteral("ui/language"), m_languageCombo->itemData(index));
    m_settings->sync();
    statusBar()->showMessage(tr("The language changes the next time the app starts."));
}

void AgencyWindow::setTabOrder()
{
    // Top to bottom, left to right, as the window reads: settings, upload, winners, log.
    const QList<QWidget *> order {m_hostEdit, m_portSpin, m_agencySpin, m_fileEdit, m_browseButton,
        m_batchSpin, m_caEdit, m_caBrowseButton, m_tokenFileEdit, m_tokenBrowseButton,
        m_languageCombo, m_uploadButton, m_cancelButton, m_invalidRowsView, m_winnersView,
        m_exportButton, m_receiptButton, m_logView};
    for (qsizetype i = 1; i < order.size(); ++i)
        QWidget::setTabOrder(order.at(i - 1), order.at(i));
}

void AgencyWindow::keyPressEvent(QKeyEvent *event)
{
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    QWidget *focus = focusWidget();
    if (enter && event->modifiers() == Qt::NoModifier && focus && m_settingsBox->isAncestorOf(focus)
        && !m_controller.isBusy()) {
        // The field's own editingFinished runs first (the file is previewed, say).
        startUpload();
        event->accept();
        return;
    }
    QMainWindow::keyPressEvent(event);
}

void AgencyWindow::exportWinners()
{
    const QString suggested
        = QFileInfo(m_fileEdit->text())
              .absoluteDir()
              .filePath(tr("winners-agency-%1.csv").arg(m_controller.settings().agency));
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export winners"), suggested, tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    if (m_controller.winnersModel()->exportCsv(path))
        appendLog(tr("Winners exported to %1").arg(path));
    else
        showError(tr("Export failed"), tr("cannot save %1: %2").arg(path, unwritableReason(path)));
}

void AgencyWindow::exportReceipt()
{
    const AgencyReceipt &receipt = m_controller.receipt();
    if (!receipt.isValid())
        return;
    const QString suggested = QFileInfo(m_fileEdit->text())
                                  .absoluteDir()
                                  .filePath(tr("receipt-agency-%1.txt").arg(receipt.agency));
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save receipt"), suggested, tr("Text files (*.txt)"));
    if (path.isEmpty())
        return;
    QString error;
    if (receipt.writeFile(path, &error))
        appendLog(tr("Receipt saved to %1").arg(path));
    else
        showError(tr("Saving failed"), tr("cannot save %1: %2").arg(path, unwritableReason(path)));
}

void AgencyWindow::onPhaseChanged(UploadController::Phase phase)
{
    using Phase = UploadController::Phase;
    const bool busy = m_controller.isBusy();
    m_phaseLabel->setText(tr("Status: %1").arg(UploadController::phaseText(phase)));
    m_uploadButton->setEnabled(!busy);
    m_uploadButton->setText(uploadButtonText(phase));
    m_cancelButton->setEnabled(busy);
    m_settingsBox->setEnabled(!busy);
    m_exportButton->setEnabled(phase == Phase::Done);
    if (phase == Phase::Idle || phase == Phase::ReadingFile || phase == Phase::Connecting) {
        m_errorLabel->hide();
        m_errorLabel->clear();
        m_speedLabel->clear();
        m_winnersCountLabel->setText(tr("The winners appear here after the draw."));
    }
    if (phase == Phase::Idle) {
        m_progressBar->setValue(0);
        m_progressBar->resetFormat();
    }
}

QString AgencyWindow::uploadButtonText(UploadController::Phase phase) const
{
    using Phase = UploadController::Phase;
    switch (phase) {
    case Phase::Failed:
        return agency::UserMessages::retryMayHelp(m_controller.lastError()) ? tr("&Retry")
                                                                            : tr("&Upload");
    case Phase::Cancelled: return tr("&Resume");
    case Phase::DrawPending: return tr("&Get winners");
    case Phase::Idle:
    case Phase::ReadingFile:
    case Phase::Connecting:
    case Phase::Sending:
    case Phase::WaitingForDraw:
    case Phase::Done: break;
    }
    return tr("&Upload");
}

void AgencyWindow::onProgress(qint64 acknowledged, qint64 total)
{
    const int value = total > 0 ? static_cast<int>(acknowledged * kProgressSteps / total)
                                : (acknowledged >= total ? kProgressSteps : 0);
    m_progressBar->setValue(value);
    const QLocale locale;
    const auto bets = static_cast<int>(total);
    m_progressBar->setFormat((bets == 1 ? tr("%1 of %Ln bet (%2 %)", nullptr, bets)
                                        : tr("%1 of %Ln bets (%2 %)", nullptr, bets))
                                 .arg(locale.toString(acknowledged))
                                 .arg(value / 10));
}

void AgencyWindow::onSpeed(double betsPerSecond, qint64 secondsLeft)
{
    const QLocale locale;
    const QString rate = tr("%1 bets/s").arg(locale.toString(qRound64(betsPerSecond)));
    if (m_controller.phase() != UploadController::Phase::Sending) {
        m_speedLabel->setText(tr("%1 on average").arg(rate));
        return;
    }
    const QString left = secondsLeft < 0 ? tr("time left unknown")
                                         : tr("%1 left").arg(agency::durationText(secondsLeft));
    m_speedLabel->setText(rate + QStringLiteral("  ·  ") + left);
}

void AgencyWindow::onPreviewReady(const agency::BetFileSummary &summary)
{
    // One count per message: Qt's plural forms (%n) take one number each. English, the source
    // language, has no catalog, so its singulars are messages of their own.
    const auto valid = static_cast<int>(summary.validRows);
    const auto invalid = static_cast<int>(summary.invalidRows);
    const auto winning = static_cast<int>(summary.winningRows);
    QString text = QStringLiteral("%1, %2, %3.")
                       .arg(valid == 1 ? tr("%Ln bet to send", nullptr, valid)
                                       : tr("%Ln bets to send", nullptr, valid),
                           invalid == 1 ? tr("%Ln invalid row (not sent)", nullptr, invalid)
                                        : tr("%Ln invalid rows (not sent)", nullptr, invalid),
                           winning == 1 ? tr("%Ln winning number", nullptr, winning)
                                        : tr("%Ln winning numbers", nullptr, winning));
    if (summary.invalidListTruncated)
        text += QLatin1Char(' ')
            + tr("The table lists the first %Ln.", nullptr,
                static_cast<int>(summary.invalid.size()));
    m_summaryLabel->setText(text);
    m_invalidRowsView->resizeColumnToContents(InvalidRowsModel::LineColumn);
}

void AgencyWindow::showError(const QString &title, const QString &details)
{
    // "Retry" only where trying again, unchanged, may work (a server down, busy or lost); the
    // explanation says what else to do.
    const bool retry = m_controller.phase() == UploadController::Phase::Failed
        && agency::UserMessages::retryMayHelp(m_controller.lastError());
    QString text
        = QStringLiteral("<b>%1</b>: %2").arg(title.toHtmlEscaped(), details.toHtmlEscaped());
    if (retry)
        text += QStringLiteral("<br>") + tr("Press Retry once the server is back.").toHtmlEscaped();
    m_errorLabel->setText(text);
    m_errorLabel->show();
}

void AgencyWindow::appendLog(const QString &text)
{
    m_logView->appendPlainText(
        QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss  ")) + text);
}

void AgencyWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!m_controller.isBusy() && !droppedCsv(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void AgencyWindow::dropEvent(QDropEvent *event)
{
    const QString path = droppedCsv(event->mimeData());
    if (m_controller.isBusy() || path.isEmpty())
        return;
    setDataFile(path);
    event->acceptProposedAction();
}

void AgencyWindow::closeEvent(QCloseEvent *event)
{
    // The server keeps what it acknowledged: the next Upload resumes from there.
    m_controller.cancel();
    saveFields();
    QMainWindow::closeEvent(event);
}

} // namespace lottery::gui
