#include "lottery/agency/upload_pump.h"

#include "lottery/protocol/codec.h"
#include "stored_bets_match.h"

#include <algorithm>

namespace lottery::agency {

namespace {

QString fromStd(const std::string &text)
{
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

} // namespace

UploadPump::UploadPump(const UploadPumpOptions &options, FrameSink sink, QObject *parent)
    : QObject(parent), m_options(options), m_sink(std::move(sink)),
      m_encoder(static_cast<std::size_t>(std::clamp(options.batchMaxBets, 1, 0xFFFF)))
{
    m_reader.setToday(options.today);
}

UploadPump::~UploadPump() = default;

bool UploadPump::openFile()
{
    if (m_reader.open(m_options.dataFile))
        return true;
    fail(UploadError::Kind::FileError, m_reader.errorString());
    return false;
}

void UploadPump::closeFile()
{
    m_reader.close();
    m_awaiting = Awaiting::Nothing; // ends any step() loop in progress
}

bool UploadPump::startConnection()
{
    // Unacknowledged batches are forgotten: the next WELCOME says what the server stored, and the
    // file is read again from the top, skipping that many valid rows.
    if (!m_encoder.empty())
        m_encoder.finish(0); // dropped
    m_encoderLines.clear();
    m_pendingBet.reset();
    m_inFlight.clear();
    m_toSkip = 0;
    m_fileExhausted = false;
    m_doneSent = false;
    m_winnerChunks.clear();
    m_salesClosed.reset(); // a new connection meets the close again (its next BATCH)
    m_failure = UploadError {};
    m_awaiting = Awaiting::Nothing;
    if (!openFile())
        return false;
    m_fileDigest = RunningDigest();
    m_skipVerified = true;
    m_inspector = BetFileInspector(); // the file is read again from its first row
    m_doneWithheld = false;
    m_resume = Resume::ByPrefix;
    m_match.reset();
    m_listNext = 0;
    m_listRequestEnd = 0;
    m_prefixSkipsCounted = 0;
    protocol::Hello hello;
    hello.version = m_options.protocolVersion;
    hello.agency = m_options.agency;
    hello.token = m_options.token.toUtf8().toStdString();
    send(hello);
    m_awaiting = Awaiting::Welcome;
    return true;
}

void UploadPump::send(const protocol::Message &message)
{
    m_frame.clear();
    protocol::appendFrame(m_frame, message);
    m_sink(m_frame);
}

UploadPump::Status UploadPump::fail(
    UploadError::Kind kind, const QString &message, std::optional<protocol::ErrorCode> code)
{
    m_failure.kind = kind;
    m_failure.message = message;
    m_failure.code = code;
    m_failure.storedBets = m_firstStoredBets + static_cast<quint64>(m_betsAcknowledged);
    m_failure.agency = m_options.agency;
    m_awaiting = Awaiting::Nothing;
    return Status::Failed;
}

UploadPump::Status UploadPump::protocolViolation(
    protocol::ErrorCode code, const QString &message, UploadError::Kind kind)
{
    send(protocol::ErrorMessage {code, message.toUtf8().toStdString()});
    return fail(kind, message);
}

UploadPump::Status UploadPump::readyOrWaiting() const
{
    return m_awaiting == Awaiting::Acks && !m_doneSent ? Status::Ready : Status::Waiting;
}

QString UploadPump::awaitingText() const
{
    switch (m_awaiting) {
    case Awaiting::Nothing: return QStringLiteral("expecting nothing");
    case Awaiting::Welcome: return QStringLiteral("waiting for WELCOME");
    case Awaiting::StoredList:
        return QStringLiteral("waiting for STORED_LIST of stored bets %1..%2")
            .arg(m_listNext)
            .arg(m_listRequestEnd - 1);
    case Awaiting::Acks:
        return m_inFlight.empty()
            ? QStringLiteral("no batch is unacknowledged")
            : QStringLiteral("waiting for ACK of batch %1").arg(m_inFlight.front().sequence);
    case Awaiting::DoneAck: return QStringLiteral("waiting for DONE_ACK");
    case Awaiting::Winners: return QStringLiteral("waiting for WINNERS");
    }
    return {};
}

UploadPump::Status UploadPump::receive(const protocol::Message &message)
{
    if (const auto *error = std::get_if<protocol::ErrorMessage>(&message)) {
        // A server that cannot list stored bets (its store cannot read them back, or it predates
        // LIST_STORED): the file cannot be matched by content; the clerk gets the old advice.
        if (m_awaiting == Awaiting::StoredList
            && (error->code == protocol::ErrorCode::UnexpectedMessage
                || error->code == protocol::ErrorCode::UnknownMessageType)) {
            return fail(UploadError::Kind::StoredBetsDiffer,
                QStringLiteral("the server stores %1 bets of agency %2 that are not the first %1 "
                               "valid rows of %3, and it cannot list them (%4: %5): nothing more "
                               "was sent")
                    .arg(m_serverStoredBets)
                    .arg(m_options.agency)
                    .arg(m_options.dataFile, QLatin1String(protocol::toString(error->code)),
                        fromStd(error->message)),
                error->code);
        }
        return fail(UploadError::Kind::ServerError,
            QStringLiteral("server error %1: %2")
                .arg(QLatin1String(protocol::toString(error->code)), fromStd(error->message)),
            error->code);
    }
    if (const auto *reject = std::get_if<protocol::Reject>(&message))
        return handleReject(*reject);
    switch (m_awaiting) {
    case Awaiting::Welcome:
        if (const auto *welcome = std::get_if<protocol::Welcome>(&message))
            return handleWelcome(*welcome);
        break;
    case Awaiting::StoredList:
        if (const auto *list = std::get_if<protocol::StoredList>(&message))
            return handleStoredList(*list);
        break;
    case Awaiting::Acks:
        if (const auto *ack = std::get_if<protocol::Ack>(&message);
            ack && m_protocolVersion == protocol::kProtocolVersion1)
            return handleAck(*ack);
        if (const auto *receipt = std::get_if<protocol::Receipt>(&message);
            receipt && m_protocolVersion >= protocol::kProtocolVersion2)
            return handleReceipt(*receipt);
        break;
    case Awaiting::DoneAck:
        if (std::holds_alternative<protocol::DoneAck>(message)) {
            // GET_WINNERS went out right behind DONE.
            m_awaiting = Awaiting::Winners;
            emit uploadCompleted();
            return Status::Waiting;
        }
        break;
    case Awaiting::Winners:
        if (const auto *winners = std::get_if<protocol::Winners>(&message))
            return handleWinners(*winners);
        if (const auto *sealed = std::get_if<protocol::Sealed>(&message);
            sealed && m_protocolVersion >= protocol::kProtocolVersion2 && m_winnerChunks.isEmpty())
            return handleSealed(*sealed);
        break;
    case Awaiting::Nothing: break;
    }
    return protocolViolation(protocol::ErrorCode::UnexpectedMessage,
        QStringLiteral("unexpected %1 from the server while %2")
            .arg(QLatin1String(protocol::toString(protocol::typeOf(message))), awaitingText()));
}

UploadPump::Status UploadPump::handleWelcome(const protocol::Welcome &welcome)
{
    // The server answers with the lower of its version and the one HELLO offered.
    if (welcome.version < protocol::kProtocolVersion1
        || welcome.version > m_options.protocolVersion) {
        return protocolViolation(protocol::ErrorCode::UnsupportedVersion,
            QStringLiteral("server answered protocol version %1 to a HELLO offering 1..%2")
                .arg(welcome.version)
                .arg(m_options.protocolVersion),
            UploadError::Kind::VersionMismatch);
    }
    if (m_protocolVersion != welcome.version)
        emit protocolAgreed(welcome.version, m_options.protocolVersion);
    m_protocolVersion = welcome.version;
    const bool firstWelcome = !m_welcomedBefore;
    if (firstWelcome) {
        m_firstStoredBets = welcome.storedBets;
    } else {
        // Resumed: what we saw acknowledged must still be there. Bets stored whose ACK was lost
        // with the connection are confirmed by this WELCOME.
        const quint64 known = m_firstStoredBets + static_cast<quint64>(m_betsAcknowledged);
        if (welcome.storedBets < known) {
            return protocolViolation(protocol::ErrorCode::UnexpectedMessage,
                QStringLiteral("the server now stores %1 bets of agency %2 but had acknowledged "
                               "%3: acknowledged bets were lost")
                    .arg(welcome.storedBets)
                    .arg(m_options.agency)
                    .arg(known),
                UploadError::Kind::AcknowledgedBetsLost);
        }
        m_betsAcknowledged += static_cast<qint64>(welcome.storedBets - known);
    }
    m_welcomedBefore = true;
    // Rows skipped after a reconnection were sent (and counted) by this upload before.
    m_countSkips = firstWelcome;
    m_serverLastSequence = welcome.lastSequence;
    m_serverStoredBets = welcome.storedBets;
    m_nextSequence = welcome.lastSequence + 1;
    m_toSkip = welcome.storedBets;
    m_awaiting = Awaiting::Acks;
    if (m_protocolVersion >= protocol::kProtocolVersion2) {
        // Nothing is sent until the rows skipped are proved to be the bets the server holds.
        m_welcomeDigest = welcome.digest;
        m_skipVerified = false;
        m_receipt = UploadReceipt {
            m_options.agency, welcome.lastSequence, welcome.storedBets, welcome.digest};
    }
    emit welcomed(welcome.lastSequence, welcome.storedBets);
    if (!m_skipVerified && m_toSkip == 0 && checkSkippedRows() == Status::Failed)
        return Status::Failed;
    return readyOrWaiting();
}

UploadPump::Status UploadPump::checkSkippedRows()
{
    m_skipVerified = true;
    if (m_fileDigest.current() == m_welcomeDigest) {
        emit storedBetsVerified(m_serverStoredBets);
        return Status::Ready;
    }
    // Not the first valid rows: rows corrected in place (or another file). Which rows the
    // stored bets are is found by content.
    return startMatching();
}

UploadPump::Status UploadPump::startMatching()
{
    emit listingStoredBets(m_serverStoredBets);
    m_rowsSkipped -= m_prefixSkipsCounted;
    m_prefixSkipsCounted = 0;
    m_toSkip = 0;
    m_skipVerified = true;
    m_fileExhausted = false;
    m_resume = Resume::ReadingFile;
    m_match = std::make_unique<StoredBetsMatch>();
    m_inspector = BetFileInspector(); // judged on the sending pass, from its first row
    if (!m_reader.open(m_options.dataFile)) // from the top again
        return fail(UploadError::Kind::FileError, m_reader.errorString());
    return readyOrWaiting();
}

UploadPump::Status UploadPump::readForMatching(int rowBudget)
{
    BetRowView row;
    while (rowBudget-- > 0) {
        if (!m_reader.readNextView(row)) {
            if (m_reader.hasError())
                return fail(UploadError::Kind::FileError, m_reader.errorString());
            m_match->finishFile();
            m_resume = Resume::Listing;
            m_listNext = 0;
            if (m_serverStoredBets == 0)
                return finishMatching();
            requestStoredBets();
            return Status::Waiting;
        }
        if (!row.isValid())
            reportInvalidRow(row);
        else
            m_match->addFileRow(row.bet, row.line);
    }
    return Status::Ready; // let socket events (and a cancel) in before reading on
}

void UploadPump::requestStoredBets()
{
    const quint64 count
        = std::min<quint64>(protocol::kMaxListedBets, m_serverStoredBets - m_listNext);
    m_listRequestEnd = m_listNext + count;
    send(protocol::ListStored {m_listNext, static_cast<std::uint16_t>(count)});
    m_awaiting = Awaiting::StoredList;
}

UploadPump::Status UploadPump::handleStoredList(const protocol::StoredList &list)
{
    const quint64 size = list.bets.size();
    if (list.from != m_listNext || size > m_listRequestEnd - m_listNext
        || list.final != (m_listNext + size == m_listRequestEnd)) {
        return protocolViolation(protocol::ErrorCode::UnexpectedMessage,
            QStringLiteral("STORED_LIST of %1 bets from %2 (final %3) does not answer the "
                           "LIST_STORED of stored bets %4..%5")
                .arg(size)
                .arg(list.from)
                .arg(list.final ? 1 : 0)
                .arg(m_listNext)
                .arg(m_listRequestEnd - 1));
    }
    for (const protocol::Bet &bet : list.bets)
        m_match->addStoredBet(bet, m_listNext++);
    if (!list.final)
        return Status::Waiting;
    if (m_listNext < m_serverStoredBets) {
        requestStoredBets();
        return Status::Waiting;
    }
    return finishMatching();
}

UploadPump::Status UploadPump::finishMatching()
{
    // The fingerprints only find rows; the digest proves the list is what the server stores
    // (and what the seal will hold).
    const protocol::Digest listed = m_match->digest().current();
    if (listed != m_welcomeDigest) {
        return protocolViolation(protocol::ErrorCode::UnexpectedMessage,
            QStringLiteral("the %1 stored bets the server listed hash to SHA-256 %2, not to its "
                           "WELCOME's %3: it did not list what it stores")
                .arg(m_serverStoredBets)
                .arg(digestHex(listed), digestHex(m_welcomeDigest)),
            UploadError::Kind::ReceiptMismatch);
    }
    if (m_match->missingCount() > 0) {
        QStringList which;
        for (const MissingStoredBet &bet : m_match->missing())
            which << QString::number(bet.index + 1);
        if (m_match->missingCount() > static_cast<quint64>(which.size()))
            which << QStringLiteral("...");
        m_failure.missingStoredCount = m_match->missingCount();
        m_failure.missingStoredBets = m_match->missing();
        return fail(UploadError::Kind::StoredBetsDiffer,
            QStringLiteral("%1 of the %2 bets the server stores for agency %3 are not valid rows "
                           "of %4 (stored bets no. %5): nothing was sent")
                .arg(m_match->missingCount())
                .arg(m_serverStoredBets)
                .arg(m_options.agency)
                .arg(m_options.dataFile, which.join(QStringLiteral(", "))));
    }
    m_fileDigest = m_match->digest(); // the receipts go on from the stored bets
    m_resume = Resume::ByContent;
    m_awaiting = Awaiting::Acks;
    m_fileExhausted = false;
    if (!m_reader.open(m_options.dataFile))
        return fail(UploadError::Kind::FileError, m_reader.errorString());
    emit storedBetsMatched(m_serverStoredBets, m_match->unmatchedRows());
    return readyOrWaiting();
}

void UploadPump::reportInvalidRow(const BetRowView &row)
{
    if (row.line > m_lastReportedInvalidLine) {
        m_lastReportedInvalidLine = row.line;
        ++m_invalidRows;
        emit invalidRow(row.line, row.error);
    }
}

UploadPump::Status UploadPump::handleReceipt(const protocol::Receipt &receipt)
{
    if (!m_inFlight.empty() && receipt.sequence == m_inFlight.front().sequence
        && receipt.count == m_inFlight.front().lines.size()) {
        const InFlight &batch = m_inFlight.front();
        if (receipt.storedBets != batch.storedBetsAfter || receipt.digest != batch.digestAfter) {
            return protocolViolation(protocol::ErrorCode::UnexpectedMessage,
                QStringLiteral("the receipt of batch %1 says %2 bets stored (SHA-256 %3) but "
                               "what was sent makes %4 (SHA-256 %5): the server did not store "
                               "what this agency sent")
                    .arg(receipt.sequence)
                    .arg(receipt.storedBets)
                    .arg(digestHex(receipt.digest))
                    .arg(batch.storedBetsAfter)
                    .arg(digestHex(batch.digestAfter)),
                UploadError::Kind::ReceiptMismatch);
        }
        m_receipt = UploadReceipt {
            m_options.agency, receipt.sequence, receipt.storedBets, receipt.digest};
        emit receiptReceived(m_receipt);
    }
    // Order and count are checked as for an ACK.
    return handleAck(protocol::Ack {receipt.sequence, receipt.count, receipt.duplicate});
}

UploadPump::Status UploadPump::handleAck(const protocol::Ack &ack)
{
    if (m_inFlight.empty() || ack.sequence != m_inFlight.front().sequence
        || ack.count != m_inFlight.front().lines.size()) {
        const QString expected = m_inFlight.empty() ? QStringLiteral("none is unacknowledged")
                                                    : QStringLiteral("expected batch %1 of %2 bets")
                                                          .arg(m_inFlight.front().sequence)
                                                          .arg(m_inFlight.front().lines.size());
        return protocolViolation(protocol::ErrorCode::UnexpectedMessage,
            QStringLiteral("ACK of batch %1 (%2 bets) out of order: %3")
                .arg(ack.sequence)
                .arg(ack.count)
                .arg(expected));
    }
    m_inFlight.pop_front();
    if (m_doneSent && m_inFlight.empty())
        m_awaiting = Awaiting::DoneAck; // DONE went out behind the last batch
    ++m_batchesAcknowledged;
    m_betsAcknowledged += ack.count;
    if (ack.duplicate)
        ++m_duplicateBatches;
    emit batchAcknowledged(ack.sequence, ack.count, m_betsAcknowledged, ack.duplicate);
    if (m_doneWithheld && m_inFlight.empty())
        return failSuspiciousFile();
    return readyOrWaiting();
}

UploadPump::Status UploadPump::handleReject(const protocol::Reject &reject)
{
    if (reject.code == protocol::ErrorCode::SalesClosed && m_salesClosed)
        return Status::Waiting; // a batch that was in flight behind the first refused one
    if (reject.code == protocol::ErrorCode::SalesClosed
        && m_protocolVersion >= protocol::kProtocolVersion2 && !m_doneSent) {
        // The bets stored before the close are in the draw: ask for this agency's winners on
        // this connection (the server answers after the REJECTs of the batches still in
        // flight), check the seal against the last receipt, then end with the close. Not when
        // DONE was pipelined already: the server answers that DONE with an ERROR and closes.
        m_salesClosed = reject;
        m_inFlight.clear();
        m_encoder.finish(0); // dropped: nothing more is sent
        m_encoderLines.clear();
        m_pendingBet.reset();
        m_reader.close();
        m_doneSent = true; // step() sends nothing more
        send(protocol::GetWinners {});
        m_awaiting = Awaiting::Winners;
        return Status::Waiting;
    }
    QString where;
    for (const InFlight &batch : m_inFlight) {
        if (batch.sequence == reject.sequence && reject.betIndex < batch.lines.size()) {
            where = QStringLiteral(", bet %1 (line %2)")
                        .arg(reject.betIndex + 1)
                        .arg(batch.lines[reject.betIndex]);
        }
    }
    m_failure.rejectedSequence = reject.sequence;
    return fail(UploadError::Kind::BatchRejected,
        QStringLiteral("batch %1 rejected by the server: %2%3: %4")
            .arg(reject.sequence)
            .arg(QLatin1String(protocol::toString(reject.code)), where, fromStd(reject.reason)),
        reject.code);
}

UploadPump::Status UploadPump::handleSealed(const protocol::Sealed &sealed)
{
    m_sealed = sealed;
    // The seal's head of this agency must be its last receipt: the bets it was told are stored
    // are exactly the bets in the draw.
    if (m_receipt.isValid()
        && (sealed.agencyBets != m_receipt.storedBets || sealed.agencyDigest != m_receipt.digest)) {
        return protocolViolation(protocol::ErrorCode::UnexpectedMessage,
            QStringLiteral("the sealed draw holds %1 bets of agency %2 (SHA-256 %3) but this "
                           "agency's receipt says %4 (SHA-256 %5): the draw is not over the bets "
                           "the server confirmed")
                .arg(sealed.agencyBets)
                .arg(m_options.agency)
                .arg(digestHex(sealed.agencyDigest))
                .arg(m_receipt.storedBets)
                .arg(digestHex(m_receipt.digest)),
            UploadError::Kind::SealMismatch);
    }
    emit sealVerified(sealed);
    return Status::Waiting;
}

UploadPump::Status UploadPump::handleWinners(const protocol::Winners &winners)
{
    for (const std::string &document : winners.documents)
        m_winnerChunks.append(fromStd(document));
    if (!winners.final)
        return Status::Waiting;
    m_winners = m_winnerChunks;
    closeFile();
    emit winnersReceived(m_winners);
    if (m_salesClosed) {
        // The upload ends as the close made it end, its winners known.
        const protocol::Reject reject = *m_salesClosed;
        m_failure.rejectedSequence = reject.sequence;
        return fail(UploadError::Kind::BatchRejected,
            QStringLiteral("batch %1 rejected by the server: %2: %3; the winners of the bets "
                           "stored before the close were received")
                .arg(reject.sequence)
                .arg(QLatin1String(protocol::toString(reject.code)), fromStd(reject.reason)),
            reject.code);
    }
    return Status::Finished;
}

bool UploadPump::windowHasRoom() const
{
    return static_cast<int>(m_inFlight.size()) < m_options.window;
}

void UploadPump::sendBatch()
{
    const quint64 sequence = m_nextSequence++;
    const int count = static_cast<int>(m_encoder.size());
    const std::string frame = m_encoder.finish(sequence);
    InFlight batch {sequence, std::move(m_encoderLines)};
    if (m_protocolVersion >= protocol::kProtocolVersion2) {
        // The digest runs over the bets exactly as they go out (the server hashes those bytes).
        m_fileDigest.addEncodedBets(
            frame.substr(protocol::kFrameHeaderSize + protocol::kBatchHeaderSize));
        m_fileDigest.countBets(static_cast<quint64>(count));
        batch.storedBetsAfter = m_fileDigest.bets();
        batch.digestAfter = m_fileDigest.current();
    }
    m_sink(frame);
    m_inFlight.push_back(std::move(batch));
    m_encoderLines = std::vector<qint64>();
    // The next batch's lines in one allocation, not a regrowth every few bets.
    m_encoderLines.reserve(
        std::min<std::size_t>(static_cast<std::size_t>(m_options.batchMaxBets), 1024));
    ++m_batchesSent;
    m_betsSent += count;
    emit batchSent(sequence, count);
}

UploadPump::Status UploadPump::step(int rowBudget)
{
    BetRowView row;
    while (m_awaiting == Awaiting::Acks && !m_doneSent) {
        if (m_resume == Resume::ReadingFile)
            return readForMatching(rowBudget);
        if (m_pendingBet) {
            if (m_encoder.add(*m_pendingBet)) {
                m_encoderLines.push_back(m_pendingLine);
                m_pendingBet.reset();
            } else {
                if (!windowHasRoom())
                    return Status::Waiting; // the next ACK makes room
                sendBatch();
                continue;
            }
        }
        if (m_encoder.full()) {
            if (!windowHasRoom())
                return Status::Waiting;
            sendBatch();
            continue;
        }
        if (m_fileExhausted) {
            if (!m_encoder.empty()) {
                if (!windowHasRoom())
                    return Status::Waiting;
                sendBatch();
                continue;
            }
            return sendDone();
        }
        if (rowBudget-- <= 0)
            return Status::Ready; // let socket events (and a cancel) in before reading on
        if (!m_reader.readNextView(row)) {
            if (m_reader.hasError())
                return fail(UploadError::Kind::FileError, m_reader.errorString());
            m_fileExhausted = true;
            continue;
        }
        if (m_options.withholdDoneIfSuspicious)
            m_inspector.add(row);
        if (!row.isValid()) {
            reportInvalidRow(row);
            continue;
        }
        if (m_resume == Resume::ByContent) {
            switch (m_match->nextRow(row.bet)) {
            case StoredBetsMatch::Row::Stored:
                if (m_countSkips) // one of the stored bets, wherever it is in the file
                    ++m_rowsSkipped;
                continue;
            case StoredBetsMatch::Row::ToSend: break;
            case StoredBetsMatch::Row::Changed:
                return fail(UploadError::Kind::FileError,
                    QStringLiteral("%1 changed while it was being sent (line %2 is not the row "
                                   "read there before): nothing more is sent")
                        .arg(m_options.dataFile)
                        .arg(row.line));
            }
        }
        if (m_toSkip > 0) {
            --m_toSkip; // already stored by the server in an earlier session
            if (m_countSkips) {
                ++m_rowsSkipped;
                ++m_prefixSkipsCounted;
            }
            if (!m_skipVerified) {
                m_fileDigest.addBet(row.bet);
                if (m_toSkip == 0 && checkSkippedRows() == Status::Failed)
                    return Status::Failed;
            }
            continue;
        }
        m_pendingBet = row.bet;
        m_pendingLine = row.line;
    }
    return m_awaiting == Awaiting::Nothing && m_failure.isError() ? Status::Failed
                                                                  : Status::Waiting;
}

UploadPump::Status UploadPump::sendDone()
{
    // Version 2: fewer valid rows than stored bets; which stored bets the file lacks is found
    // by content, and the clerk is told.
    if (m_toSkip > 0 && !m_skipVerified)
        return startMatching();
    if (m_resume == Resume::ByContent && !m_match->passedEveryRow()) {
        return fail(UploadError::Kind::FileError,
            QStringLiteral("%1 changed while it was being sent (it has fewer valid rows than "
                           "when it was read before): nothing more is sent")
                .arg(m_options.dataFile));
    }
    if (m_doneWithheld)
        return Status::Waiting; // the last ACKs settle it (handleAck)
    if (m_toSkip > 0) {
        return fail(UploadError::Kind::WrongFile,
            QStringLiteral("the server already stores %1 bets of agency %2 but %3 has only %4 "
                           "valid rows: is it the right file?")
                .arg(m_serverStoredBets)
                .arg(m_options.agency)
                .arg(m_options.dataFile)
                .arg(m_serverStoredBets - m_toSkip));
    }
    if (m_options.withholdDoneIfSuspicious) {
        m_fileCheck = m_inspector.finish();
        if (m_fileCheck.isSuspicious()) {
            m_doneWithheld = true;
            m_reader.close();
            if (m_inFlight.empty())
                return failSuspiciousFile();
            return Status::Waiting; // the failure once the batches in flight are settled
        }
    }
    // Right behind the last batch, without waiting for its ACK, and GET_WINNERS behind DONE: two
    // round trips fewer per agency, and the server answers the batches and the DONE with one
    // write. The server records this DONE only if every batch before it on this connection is
    // acknowledged (PROTOCOL.md, section 7); after a REJECT this connection is dropped anyway.
    m_doneSent = true;
    m_reader.close();
    send(protocol::Done {});
    send(protocol::GetWinners {});
    m_awaiting = m_inFlight.empty() ? Awaiting::DoneAck : Awaiting::Acks;
    return Status::Waiting;
}

UploadPump::Status UploadPump::failSuspiciousFile()
{
    return fail(UploadError::Kind::SuspiciousFile,
        QStringLiteral("%1 looks wrong as a whole (%2): its valid rows were sent, DONE was not, so "
                       "agency %3 is not closed")
            .arg(m_options.dataFile, m_fileCheck.concernNames())
            .arg(m_options.agency));
}

} // namespace lottery::agency
