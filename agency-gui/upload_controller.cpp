#include "upload_controller.h"

#include "common/bet_digest.h"

#include "lottery/agency/user_messages.h"
#include "winner_lookup.h"

#include "lottery/agency/token_file.h"

#include "lottery/agency/session_logger.h"

#include <QFile>
#include <QFileInfo>
#include <QLocale>

namespace lottery::gui {

using agency::AgencySession;

namespace {

// Invalid rows kept for the preview table; the count covers them all.
constexpr int kMaxInvalidRowsShown = 10000;
constexpr int kSpeedSampleMs = 500;

} // namespace

UploadController::UploadController(QObject *parent) : QObject(parent)
{
    m_speedTimer.setInterval(kSpeedSampleMs);
    connect(&m_speedTimer, &QTimer::timeout, this, &UploadController::sampleSpeed);
}

UploadController::~UploadController() = default;

bool UploadController::isBusy() const
{
    switch (m_phase) {
    case Phase::ReadingFile:
    case Phase::Connecting:
    case Phase::Sending:
    case Phase::WaitingForDraw: return true;
    case Phase::Idle:
    case Phase::Done:
    case Phase::Failed:
    case Phase::Cancelled:
    case Phase::DrawPending: return false;
    }
    return false;
}

QString UploadController::phaseText(Phase phase)
{
    switch (phase) {
    case Phase::Idle: return tr("Ready");
    case Phase::ReadingFile: return tr("Reading the bets file");
    case Phase::Connecting: return tr("Connecting");
    case Phase::Sending: return tr("Sending bets");
    case Phase::WaitingForDraw: return tr("Waiting for the draw");
    case Phase::Done: return tr("Done");
    case Phase::Failed: return tr("Failed");
    case Phase::Cancelled: return tr("Cancelled");
    case Phase::DrawPending: return tr("All bets stored; the draw is pending");
    }
    return {};
}

qint64 UploadController::acknowledged() const
{
    return std::min(m_total, m_alreadyStored + m_acknowledgedNow);
}

UploadController::FileStamp UploadController::stampOf(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return {};
    return FileStamp {info.size(), info.lastModified()};
}

// ---------------------------------------------------------------------------------------------
// Preview

void UploadController::previewFile(const QString &path)
{
    m_previewPath = path;
    m_preview = {};
    m_invalidRows.clear();
    if (path.isEmpty()) {
        m_scanner.cancel();
        m_previewState = PreviewState::None;
        return;
    }
    m_previewState = PreviewState::Scanning;
    m_previewStamp = stampOf(path);
    emit previewStarted(path);
    m_scanner.start([this, path](const BackgroundJob &job) {
        int lastPercent = -1;
        const auto progress = [this, &job, &lastPercent](qint64 bytesRead, qint64 fileSize) {
            const int percent = fileSize > 0 ? static_cast<int>(bytesRead * 100 / fileSize) : 100;
            if (percent != lastPercent) {
                lastPercent = percent;
                job.post([this, percent] { emit previewProgress(percent); });
            }
            return !job.isCancelled();
        };
        const agency::BetFileScanResult result
            = agency::scanBetFile(path, kMaxInvalidRowsShown, progress);
        job.post([this, path, result] { onScanned(path, result); });
    });
}

void UploadController::onScanned(const QString &path, const agency::BetFileScanResult &result)
{
    if (!result.ok) {
        m_previewState = PreviewState::Failed;
        // The reader's errorString is English (for logs): the person reads what is wrong with
        // the file, found on the file system.
        const QString reason = agency::UserMessages::forUnreadableFile(path);
        emit previewFailed(reason);
        if (m_uploadAfterScan) {
            m_uploadAfterScan = false;
            failWith(tr("Cannot read the bets file"), reason);
        }
        return;
    }
    m_previewState = PreviewState::Ready;
    m_preview = result.summary;
    m_invalidRows.setRows(result.summary.invalid);
    emit previewReady(m_preview);
    // Qt's plural forms (%n) for Spanish; English, the source, has no catalog, so its singular
    // is a message of its own.
    const auto valid = static_cast<int>(m_preview.validRows);
    const auto invalid = static_cast<int>(m_preview.invalidRows);
    emit logMessage(QStringLiteral("%1: %2, %3")
                        .arg(QFileInfo(path).fileName(),
                            valid == 1 ? tr("%Ln valid bet", nullptr, valid)
                                       : tr("%Ln valid bets", nullptr, valid),
                            invalid == 1 ? tr("%Ln invalid row", nullptr, invalid)
                                         : tr("%Ln invalid rows", nullptr, invalid)));
    if (m_uploadAfterScan) {
        m_uploadAfterScan = false;
        startSessionOrAsk();
    }
}

// ---------------------------------------------------------------------------------------------
// Upload

void UploadController::upload(const UploadSettings &settings)
{
    if (isBusy() || m_awaitingConfirmation)
        return;
    m_settings = settings;
    m_errorTitle.clear();
    m_lastError = {};
    m_errorString.clear();
    m_winners.clear();
    m_alreadyStored = 0;
    m_acknowledgedNow = 0;
    if (settings.dataFile.isEmpty()) {
        failWith(tr("No bets file"), tr("choose the agency's bets file first"));
        return;
    }
    const bool previewUsable = m_previewState == PreviewState::Ready
        && m_previewPath == settings.dataFile && m_previewStamp == stampOf(settings.dataFile);
    if (previewUsable) {
        startSessionOrAsk();
        return;
    }
    m_uploadAfterScan = true;
    setPhase(Phase::ReadingFile);
    // The file may have changed since it was previewed: the total must be the file's now.
    if (m_previewState != PreviewState::Scanning || m_previewPath != settings.dataFile)
        previewFile(settings.dataFile);
}

// A file that looks wrong would end with DONE and close the agency's upload: it is sent only
// once the person confirmed it, every time (a retry asks again).
void UploadController::startSessionOrAsk()
{
    if (!m_preview.check.isSuspicious()) {
        startSession();
        return;
    }
    m_awaitingConfirmation = true;
    // The concerns' names are identifiers (for the log lines); the dialog says them in words.
    emit logMessage(tr("The file looks wrong; asking before sending it"));
    emit confirmationNeeded(m_preview);
}

void UploadController::confirmSuspiciousFile(bool send)
{
    if (!m_awaitingConfirmation)
        return;
    m_awaitingConfirmation = false;
    if (send) {
        emit logMessage(tr("Sending the file as it is, as confirmed"));
        startSession();
        return;
    }
    setPhase(Phase::Idle);
    emit logMessage(tr("Upload not started: nothing was sent"));
}

void UploadController::startSession()
{
    agency::AgencySessionOptions options;
    QString addressError;
    const auto servers = serversOf(m_settings, &addressError);
    if (!servers) {
        agency::UploadError invalid;
        invalid.kind = agency::UploadError::Kind::InvalidOptions;
        failWith(agency::UserMessages::forError(invalid).title, addressError);
        return;
    }
    options.servers = *servers;
    options.agency = m_settings.agency;
    options.dataFile = m_settings.dataFile;
    options.batchMaxBets = m_settings.batchSize;
    options.connectTimeout = m_connectTimeout;
    options.reconnectTimeout = m_reconnectTimeout;
    options.caFile = m_settings.caFile;
    if (!m_settings.tokenFile.isEmpty()) {
        const agency::TokenResult token = agency::readTokenFile(m_settings.tokenFile);
        if (!token.ok) {
            failWith(tr("Cannot use the token file"), token.userErrorString);
            return;
        }
        options.token = token.token;
    }

    m_total = m_preview.validRows;
    m_sessionLogger.reset();
    m_session = std::make_unique<AgencySession>(options);
    m_sessionLogger = std::make_unique<agency::SessionLogger>(m_session.get());
    connectSession(m_session.get());
    const auto total = static_cast<int>(m_total);
    emit logMessage(
        (total == 1 ? tr("Uploading %Ln bet of agency %1 to %2 in batches of %3", nullptr, total)
                    : tr("Uploading %Ln bets of agency %1 to %2 in batches of %3", nullptr, total))
            .arg(options.agency)
            .arg(agency::toString(options.servers))
            .arg(options.batchMaxBets));
    emit progressChanged(acknowledged(), m_total);
    m_stats.reset();
    m_clock.start();
    setPhase(Phase::Connecting);
    m_session->start();
}

void UploadController::connectSession(AgencySession *session)
{
    connect(session, &AgencySession::phaseChanged, this, &UploadController::onSessionPhase);
    connect(session, &AgencySession::failed, this, &UploadController::onSessionFailed);
    connect(session, &AgencySession::winnersReceived, this, &UploadController::onWinnerDocuments);
    connect(session, &AgencySession::receiptReceived, this, [this](const AgencyReceipt &receipt) {
        m_receipt = receipt;
        emit receiptChanged();
    });
    connect(session, &AgencySession::storedBetsVerified, this, [this](quint64 storedBets) {
        if (storedBets > 0)
            emit logMessage(tr("The %Ln bet(s) the server already holds are this file's first "
                               "rows (checked)",
                nullptr, static_cast<int>(std::min<quint64>(storedBets, 0x7fffffff))));
    });
    connect(session, &AgencySession::sealVerified, this, [this](const protocol::Sealed &sealed) {
        const int bets = static_cast<int>(std::min<quint64>(sealed.agencyBets, 0x7fffffff));
        emit logMessage(tr("Your %Ln bet(s) are in the sealed draw (seal %1)", nullptr, bets)
                            .arg(digestHex(sealed.root)));
    });
    connect(session, &AgencySession::connectRetry, this,
        [this](int attempt, const QString &, int delayMs) {
            // The socket's error text is Qt's, partly English: the failure's detail names it.
            emit logMessage(
                tr("Connection attempt %1 failed; retrying in %2 ms").arg(attempt).arg(delayMs));
        });
    connect(session, &AgencySession::reconnecting, this, [this](const QString &, int) {
        emit logMessage(tr("Upload interrupted (%1); reconnecting, to the next server of the "
                           "list if there is one")
                            .arg(agency::UserMessages::forError(m_session->outageCause()).title));
    });
    connect(session, &AgencySession::welcomed, this, [this](quint64, quint64 storedBets) {
        // What the server holds, each bet once: after a reconnection storedBets also counts
        // this session's acknowledged bets (AgencySession::betsStoredOnServer()).
        m_alreadyStored = static_cast<qint64>(m_session->serverStoredBets());
        m_acknowledgedNow = m_session->betsAcknowledged();
        const QString server = m_session->currentServer().toString();
        const auto stored = static_cast<int>(storedBets);
        if (stored == 0)
            emit logMessage(tr("Connected to %1").arg(server));
        else if (stored == 1)
            emit logMessage(
                tr("Connected to %1; the server already holds %Ln bet, resuming after it", nullptr,
                    stored)
                    .arg(server));
        else
            emit logMessage(
                tr("Connected to %1; the server already holds %Ln bets, resuming after them",
                    nullptr, stored)
                    .arg(server));
        emit progressChanged(acknowledged(), m_total);
    });
    connect(session, &AgencySession::batchAcknowledged, this,
        [this](quint64, int, qint64 totalAcknowledged, bool) {
            m_acknowledgedNow = totalAcknowledged;
            emit progressChanged(acknowledged(), m_total);
        });
    connect(session, &AgencySession::uploadCompleted, this, [this] {
        const auto total = static_cast<int>(m_total);
        emit logMessage(total == 1
                ? tr("The server stored the %Ln bet; waiting for the draw", nullptr, total)
                : tr("The server stored all %Ln bets; waiting for the draw", nullptr, total));
    });
}

void UploadController::onSessionPhase(AgencySession::Phase phase)
{
    switch (phase) {
    case AgencySession::Phase::Connecting: setPhase(Phase::Connecting); break;
    case AgencySession::Phase::Sending:
        setPhase(Phase::Sending);
        m_speedTimer.start();
        break;
    case AgencySession::Phase::WaitingForDraw: {
        m_speedTimer.stop();
        setPhase(Phase::WaitingForDraw);
        // The whole upload's average: a short upload may end before the first sample.
        const qint64 elapsedMs = std::max<qint64>(1, m_clock.elapsed());
        emit speedChanged(
            static_cast<double>(m_acknowledgedNow) * 1000.0 / static_cast<double>(elapsedMs), 0);
        break;
    }
    // Done waits for the winner lookup; Failed and Cancelled are handled where they start.
    case AgencySession::Phase::Idle:
    case AgencySession::Phase::Done:
    case AgencySession::Phase::Failed:
    case AgencySession::Phase::Cancelled: break;
    }
}

void UploadController::onSessionFailed(const agency::UploadError &error)
{
    // The person reads a title, a sentence and the facts (server, code, socket error) in their
    // language, from the error's kind and fields; its English message is for the log lines.
    m_lastError = error;
    const QString detail = agency::UserMessages::detailFor(
        error, agency::toString(m_session->options().servers), m_settings.dataFile);
    if (!detail.isEmpty())
        emit logMessage(tr("Details: %1").arg(detail));
    const agency::UserMessage message = agency::UserMessages::forError(error);
    failWith(message.title, message.explanation);
}

void UploadController::onWinnerDocuments(const QStringList &documents)
{
    const auto count = static_cast<int>(documents.size());
    emit logMessage(count == 1 ? tr("Draw done: %Ln winner for this agency", nullptr, count)
                               : tr("Draw done: %Ln winners for this agency", nullptr, count));
    const QString path = m_settings.dataFile;
    m_lookup.start([this, path, documents](const BackgroundJob &job) {
        WinnerLookupResult result
            = lookupWinners(path, documents, [&job] { return job.isCancelled(); });
        job.post([this, path, documents, result] {
            if (result.ok) {
                showWinners(result.winners);
                return;
            }
            emit logMessage(tr("Could not look the winners up in the file: %1")
                                .arg(agency::UserMessages::forUnreadableFile(path)));
            QList<WinnerRecord> bare;
            for (const QString &document : documents)
                bare.append(WinnerRecord {document, {}, {}, -1, 0});
            showWinners(bare);
        });
    });
}

void UploadController::showWinners(const QList<WinnerRecord> &winners)
{
    if (m_phase != Phase::WaitingForDraw)
        return; // cancelled meanwhile
    m_winners.setWinners(winners);
    setPhase(Phase::Done);
    emit winnersReady(static_cast<int>(winners.size()));
}

void UploadController::cancel()
{
    if (!isBusy())
        return;
    m_uploadAfterScan = false;
    m_lookup.cancel();
    m_speedTimer.stop();
    if (m_session)
        m_session->cancel();
    if (m_phase == Phase::WaitingForDraw) {
        // DONE was acknowledged: the server holds every bet and counts this agency as done.
        setPhase(Phase::DrawPending);
        emit logMessage(tr("Stopped waiting for the draw. The server keeps every bet and this "
                           "agency's upload is complete; Get winners asks for them."));
        return;
    }
    setPhase(Phase::Cancelled);
    const auto total = static_cast<int>(m_total);
    emit logMessage((total == 1
            ? tr("Upload cancelled after %1 of %Ln bet; Resume continues it", nullptr, total)
            : tr("Upload cancelled after %1 of %Ln bets; Resume continues it", nullptr, total))
                        .arg(QLocale().toString(acknowledged())));
}

void UploadController::clearOutcome()
{
    if (m_phase != Phase::Failed && m_phase != Phase::Cancelled)
        return;
    m_errorTitle.clear();
    m_errorString.clear();
    m_lastError = {};
    m_alreadyStored = 0;
    m_acknowledgedNow = 0;
    m_total = 0;
    setPhase(Phase::Idle);
}

void UploadController::failWith(const QString &title, const QString &details)
{
    m_speedTimer.stop();
    m_errorTitle = title;
    m_errorString = details;
    setPhase(Phase::Failed);
    emit logMessage(tr("Error: %1: %2").arg(title, details));
    emit failed(title, details);
}

void UploadController::setPhase(Phase phase)
{
    if (m_phase == phase)
        return;
    m_phase = phase;
    emit phaseChanged(phase);
}

void UploadController::sampleSpeed()
{
    m_stats.addSample(m_clock.elapsed(), m_acknowledgedNow);
    emit speedChanged(m_stats.betsPerSecond(), m_stats.secondsLeft(m_total - m_alreadyStored));
}

} // namespace lottery::gui
