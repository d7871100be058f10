#include "lottery/agency/bet_file_reader.h"

#include "lottery/protocol/bet_csv.h"

#include <cstring>
#include <string_view>

namespace lottery::agency {

namespace {

protocol::CivilDate toCivilDate(const QDate &date)
{
    return protocol::CivilDate {date.year(), date.month(), date.day()};
}

bool isBlank(std::string_view line)
{
    for (char c : line) {
        if (c != ' ' && c != '\t')
            return false;
    }
    return true;
}

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

} // namespace

BetFileReader::BetFileReader()
{
    // A chunk plus the start of a line (at most kMaxLineBytes and a CR) carried over from the last.
    m_buffer.resize(static_cast<std::size_t>(kChunkBytes + kMaxLineBytes + 2));
}

BetFileReader::~BetFileReader() = default;

void BetFileReader::setToday(const QDate &today)
{
    m_fixedToday = today.isValid();
    if (m_fixedToday)
        m_today = toCivilDate(today);
}

bool BetFileReader::open(const QString &path)
{
    close();
    m_lineNumber = 0;
    m_bytesRead = 0;
    m_hasError = false;
    m_errorString.clear();
    m_begin = m_end = 0;
    m_fileDrained = false;
    m_skippingLongLine = false;
    m_file.setFileName(path);
    // Unbuffered: the reader reads big chunks into its own buffer; a second buffer would only copy.
    if (!m_file.open(QIODevice::ReadOnly | QIODevice::Unbuffered)) {
        m_hasError = true;
        m_errorString = QStringLiteral("cannot open %1: %2").arg(path, m_file.errorString());
        return false;
    }
    // Fixed once per file, so a run that spans midnight judges every row by the same date.
    if (!m_fixedToday)
        m_today = toCivilDate(QDate::currentDate());
    m_atEnd = false;
    return true;
}

// Keeps the counters and any error, so they can still be read after the file is closed.
void BetFileReader::close()
{
    m_file.close();
    m_atEnd = true;
    m_begin = m_end = 0;
}

bool BetFileReader::isOpen() const
{
    return m_file.isOpen();
}

QString BetFileReader::fileName() const
{
    return m_file.fileName();
}

void BetFileReader::fail(const QString &message)
{
    m_hasError = true;
    m_atEnd = true;
    m_errorString = QStringLiteral("error reading %1: %2").arg(m_file.fileName(), message);
}

// Moves the unread bytes to the front of the buffer and reads the next chunk after them.
bool BetFileReader::refill()
{
    const std::size_t unread = m_end - m_begin;
    if (m_begin > 0 && unread > 0)
        std::memmove(m_buffer.data(), m_buffer.data() + m_begin, unread);
    m_begin = 0;
    m_end = unread;
    const qint64 n
        = m_file.read(m_buffer.data() + m_end, static_cast<qint64>(m_buffer.size() - m_end));
    if (n < 0) {
        fail(m_file.errorString());
        return false;
    }
    if (n == 0)
        m_fileDrained = true;
    m_end += static_cast<std::size_t>(n);
    return true;
}

// The next physical line, line ending included, as a view into the buffer. A line longer than
// kMaxLineBytes (not counting its line ending) is consumed to its end without being kept.
bool BetFileReader::readLine(std::string_view &line, bool &tooLong)
{
    tooLong = false;
    if (m_atEnd)
        return false;
    while (true) {
        const char *begin = m_buffer.data() + m_begin;
        const std::size_t available = m_end - m_begin;
        const auto *newline = static_cast<const char *>(std::memchr(begin, '\n', available));
        if (newline != nullptr || (m_fileDrained && (available > 0 || m_skippingLongLine))) {
            const std::size_t length
                = newline != nullptr ? static_cast<std::size_t>(newline - begin) + 1 : available;
            line = std::string_view(begin, length);
            m_begin += length;
            m_bytesRead += static_cast<qint64>(length);
            tooLong = m_skippingLongLine
                || protocol::stripLineEnding(line).size() > static_cast<std::size_t>(kMaxLineBytes);
            m_skippingLongLine = false;
            ++m_lineNumber;
            return true;
        }
        if (m_fileDrained) {
            m_atEnd = true;
            return false;
        }
        if (available > static_cast<std::size_t>(kMaxLineBytes) + 1) {
            // Already too long (even allowing for a CR): drop what we have of it and read on.
            m_bytesRead += static_cast<qint64>(available);
            m_begin = m_end;
            m_skippingLongLine = true;
        }
        if (!refill())
            return false;
    }
}

bool BetFileReader::readNextView(BetRowView &row)
{
    if (!m_file.isOpen())
        return false;
    while (true) {
        std::string_view line;
        bool tooLong = false;
        if (!readLine(line, tooLong))
            return false;
        row.line = m_lineNumber;
        row.valid = false;
        row.error.clear();
        if (tooLong) {
            row.error = QStringLiteral("line is longer than %1 bytes").arg(kMaxLineBytes);
            return true;
        }
        line = protocol::stripLineEnding(line);
        if (m_lineNumber == 1 && line.substr(0, kUtf8Bom.size()) == kUtf8Bom)
            line.remove_prefix(kUtf8Bom.size());
        if (isBlank(line))
            continue;
        if (!protocol::parseAgencyCsvRow(line, m_scratch, row.bet, m_parseError)) {
            row.error = QString::fromStdString(m_parseError);
            return true;
        }
        if (const auto error = protocol::validateBet(row.bet, m_today)) {
            row.error = QString::fromStdString(error->reason);
            return true;
        }
        row.valid = true;
        return true;
    }
}

bool BetFileReader::readNext(BetRow &row)
{
    BetRowView view;
    if (!readNextView(view))
        return false;
    row.line = view.line;
    row.error = view.error;
    row.bet.reset();
    if (view.valid)
        row.bet = view.bet.toBet();
    return true;
}

bool BetFileReader::atEnd() const
{
    return m_atEnd;
}

bool BetFileReader::hasError() const
{
    return m_hasError;
}

QString BetFileReader::errorString() const
{
    return m_errorString;
}

qint64 BetFileReader::lineNumber() const
{
    return m_lineNumber;
}

qint64 BetFileReader::bytesRead() const
{
    return m_bytesRead;
}

qint64 BetFileReader::fileSize() const
{
    return m_file.size();
}

BetFileScanResult scanBetFile(
    const QString &path, int maxInvalidKept, const ScanProgress &progress, const QDate &today)
{
    BetFileScanResult result;
    BetFileReader reader;
    reader.setToday(today);
    if (!reader.open(path)) {
        result.errorString = reader.errorString();
        return result;
    }
    // Progress is reported every this many rows: often enough for a progress bar, rarely enough
    // to cost nothing.
    constexpr qint64 kProgressEvery = 4096;
    BetRowView row;
    qint64 rows = 0;
    while (reader.readNextView(row)) {
        if (row.isValid()) {
            ++result.summary.validRows;
            if (protocol::isWinner(row.bet))
                ++result.summary.winningRows;
        } else {
            ++result.summary.invalidRows;
            if (result.summary.invalid.size() < maxInvalidKept)
                result.summary.invalid.append(InvalidRow {row.line, row.error});
            else
                result.summary.invalidListTruncated = true;
        }
        if (progress && ++rows % kProgressEvery == 0
            && !progress(reader.bytesRead(), reader.fileSize())) {
            result.cancelled = true;
            result.errorString = QStringLiteral("scan of %1 was cancelled").arg(path);
            return result;
        }
    }
    if (reader.hasError()) {
        result.errorString = reader.errorString();
        return result;
    }
    if (progress)
        progress(reader.bytesRead(), reader.fileSize());
    result.ok = true;
    return result;
}

} // namespace lottery::agency
