// The agency's window, built in code. It only displays: every decision is UploadController's.
// Widgets carry object names (hostEdit, uploadButton, winnersView, ...) for the tests.
#pragma once

#include "upload_controller.h"
#include "upload_settings.h"

#include <QMainWindow>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSettings;
class QSpinBox;
class QTableView;
class QGroupBox;

namespace lottery::gui {

class AgencyWindow : public QMainWindow
{
    Q_OBJECT
public:
    // `settings` (may be null) remembers the fields between runs; it must outlive the window.
    explicit AgencyWindow(QSettings *settings, QWidget *parent = nullptr);
    ~AgencyWindow() override;

    UploadController *controller() { return &m_controller; }

    UploadSettings fields() const;
    void setFields(const UploadSettings &settings); // also previews the file
    void setDataFile(const QString &path); // as the file dialog or a drop does

public slots:
    void startUpload(); // what the Upload button does
    void cancelUpload();

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;
    // Enter in a field of the settings starts the upload (a QMainWindow has no default button).
    void keyPressEvent(QKeyEvent *event) override;

private:
    QWidget *buildSettingsBox();
    QWidget *buildPreviewBox();
    QWidget *buildUploadBox();
    QWidget *buildWinnersBox();
    QWidget *buildLogBox();
    void connectController();

    void browseForFile();
    void browseForCa();
    void browseForTokenFile();
    void chooseLanguage(int index);
    void setTabOrder();
    void exportWinners();
    void exportReceipt();
    void onPhaseChanged(UploadController::Phase phase);
    void onProgress(qint64 acknowledged, qint64 total);
    void onSpeed(double betsPerSecond, qint64 secondsLeft);
    void onPreviewReady(const agency::BetFileSummary &summary);
    void showError(const QString &title, const QString &details);
    void askToSendSuspiciousFile(const agency::BetFileSummary &summary);
    QString uploadButtonText(UploadController::Phase phase) const;
    QSize initialSize() const; // the preferred size, within the screen
    void appendLog(const QString &text);
    void saveFields();

    QSettings *m_settings;
    UploadController m_controller;

    QGroupBox *m_settingsBox = nullptr;
    QLineEdit *m_hostEdit = nullptr;
    QSpinBox *m_portSpin = nullptr;
    QSpinBox *m_agencySpin = nullptr;
    QLineEdit *m_fileEdit = nullptr;
    QLineEdit *m_caEdit = nullptr; // empty: plain TCP
    QLineEdit *m_tokenFileEdit = nullptr; // a path: the token is read when the upload starts
    QSpinBox *m_batchSpin = nullptr;
    QPushButton *m_browseButton = nullptr;
    QPushButton *m_caBrowseButton = nullptr;
    QPushButton *m_tokenBrowseButton = nullptr;
    QComboBox *m_languageCombo = nullptr; // "ui/language" in the settings: "", "es" or "en"

    QLabel *m_summaryLabel = nullptr;
    QTableView *m_invalidRowsView = nullptr;

    QLabel *m_phaseLabel = nullptr;
    QProgressBar *m_progressBar = nullptr;
    QLabel *m_speedLabel = nullptr;
    QLabel *m_errorLabel = nullptr;
    QPushButton *m_uploadButton = nullptr;
    QPushButton *m_cancelButton = nullptr;

    QLabel *m_winnersCountLabel = nullptr;
    QTableView *m_winnersView = nullptr;
    QPushButton *m_exportButton = nullptr;
    QPushButton *m_receiptButton = nullptr;

    QPlainTextEdit *m_logView = nullptr;
};

} // namespace lottery::gui
