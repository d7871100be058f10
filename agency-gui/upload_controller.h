// The one object between the window and lottery::agency: previews the bet file in the
// background, runs the upload (owns the AgencySession), and looks the winners up in the file.
// The window only displays what this reports and calls upload() / cancel().
#pragma once

#include "background_runner.h"
#include "invalid_rows_model.h"
#include "upload_settings.h"
#include "upload_stats.h"
#include "winners_model.h"

#include "lottery/agency/agency_session.h"
#include "lottery/agency/bet_file_reader.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <memory>

namespace lottery::agency {
class SessionLogger;
}

namespace lottery::gui {

class UploadController : public QObject
{
    Q_OBJECT
public:
    enum class Phase {
        Idle, // nothing started yet
        ReadingFile, // the upload waits for the file to be read
        Connecting,
        Sending,
        WaitingForDraw,
        Done, // winners shown (final)
        Failed, // errorTitle(), errorString() (final; upload() retries)
        Cancelled, // stopped before every bet was stored (final; upload() resumes)
        // Stopped while waiting for the draw: every bet is stored and the agency is done on the
        // server; upload() only asks for the winners (final).
        DrawPending,
    };
    Q_ENUM(Phase)

    enum class PreviewState { None, Scanning, Ready, Failed };

    explicit UploadController(QObject *parent = nullptr);
    ~UploadController() override;

    InvalidRowsModel *invalidRowsModel() { return &m_invalidRows; }
    WinnersModel *winnersModel() { return &m_winners; }

    // How long the upload keeps trying to reach the server before it reports it unreachable.
    void setConnectTimeout(std::chrono::milliseconds timeout) { m_connectTimeout = timeout; }
    // After a lost connection, how long the upload fails over along the servers (0: never).
    void setReconnectTimeout(std::chrono::milliseconds timeout) { m_reconnectTimeout = timeout; }

    // Reads the file in a worker thread: bets, invalid rows (previewReady / previewFailed).
    void previewFile(const QString &path);
    PreviewState previewState() const { return m_previewState; }
    QString previewPath() const { return m_previewPath; }
    const agency::BetFileSummary &previewSummary() const { return m_preview; }

    // Starts (or, after a failure or cancel, resumes) the upload. Reads the file first unless
    // the preview is of this very file, unchanged.
    void upload(const UploadSettings &settings);
    // Stops cleanly at any point; the server keeps what it acknowledged.
    void cancel();
    // The answer to confirmationNeeded(): send the file after all, or send nothing.
    void confirmSuspiciousFile(bool send);
    bool isAwaitingConfirmation() const { return m_awaitingConfirmation; }
    // A field changed after a failure or a cancel: what was shown no longer applies (Idle).
    void clearOutcome();

    Phase phase() const { return m_phase; }
    bool isBusy() const;
    static QString phaseText(Phase phase);

    qint64 acknowledged() const; // valid bets the server holds, earlier sessions included
    qint64 total() const { return m_total; } // valid bets in the file
    QString errorTitle() const { return m_errorTitle; }
    QString errorString() const { return m_errorString; }
    // The session's failure behind the last Failed phase (Kind::None for a local refusal).
    const agency::UploadError &lastError() const { return m_lastError; }
    const UploadSettings &settings() const { return m_settings; }
    // The last receipt the server gave (protocol version 2) and the app checked; invalid: none.
    const AgencyReceipt &receipt() const { return m_receipt; }

signals:
    void previewStarted(const QString &path);
    void previewProgress(int percent);
    void previewReady(const lottery::agency::BetFileSummary &summary);
    void previewFailed(const QString &message);

    void phaseChanged(lottery::gui::UploadController::Phase phase);
    void progressChanged(qint64 acknowledged, qint64 total);
    void speedChanged(double betsPerSecond, qint64 secondsLeft); // secondsLeft -1: unknown
    void failed(const QString &title, const QString &details);
    // upload() found the file suspicious (BetFileInspector): nothing is sent until
    // confirmSuspiciousFile() says so.
    void confirmationNeeded(const lottery::agency::BetFileSummary &summary);
    void winnersReady(int count);
    void receiptChanged(); // receipt() is new (exportable)
    void logMessage(const QString &text);

private:
    struct FileStamp {
        qint64 size = -1;
        QDateTime modified;
        bool operator==(const FileStamp &o) const
        {
            return size == o.size && modified == o.modified;
        }
    };
    static FileStamp stampOf(const QString &path);

    void onScanned(const QString &path, const agency::BetFileScanResult &result);
    void startSessionOrAsk();
    void startSession();
    void connectSession(agency::AgencySession *session);
    void onSessionPhase(agency::AgencySession::Phase phase);
    void onSessionFailed(const agency::UploadError &error);
    void onWinnerDocuments(const QStringList &documents);
    void showWinners(const QList<WinnerRecord> &winners);
    void failWith(const QString &title, const QString &details);
    void setPhase(Phase phase);
    void sampleSpeed();

    InvalidRowsModel m_invalidRows;
    WinnersModel m_winners;
    UploadSettings m_settings;
    std::chrono::milliseconds m_connectTimeout {10000};
    std::chrono::milliseconds m_reconnectTimeout {60000};

    PreviewState m_previewState = PreviewState::None;
    QString m_previewPath;
    FileStamp m_previewStamp;
    agency::BetFileSummary m_preview;
    bool m_uploadAfterScan = false;
    bool m_awaitingConfirmation = false; // confirmationNeeded() is unanswered

    Phase m_phase = Phase::Idle;
    qint64 m_total = 0;
    qint64 m_alreadyStored = 0; // from WELCOME: stored by earlier sessions
    qint64 m_acknowledgedNow = 0; // by this session
    QElapsedTimer m_clock;
    QTimer m_speedTimer;
    UploadStats m_stats;
    QString m_errorTitle;
    QString m_errorString;
    agency::UploadError m_lastError;

    // Declared last, destroyed first: the session and the workers go before what they report to.
    std::unique_ptr<agency::AgencySession> m_session;
    AgencyReceipt m_receipt;
    std::unique_ptr<agency::SessionLogger> m_sessionLogger;
    BackgroundRunner m_scanner;
    BackgroundRunner m_lookup;
};

} // namespace lottery::gui
