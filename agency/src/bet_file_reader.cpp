#include "lottery/agency/bet_file_reader.h"

#include "lottery/protocol/bet_csv.h"

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
    // Room for the longest accepted line plus its CRLF and the terminating NUL readLine() writes.
    m_buffer.resize(kMaxLineBytes + 3);
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
    m_file.setFileName(path);
    if (!m_file.open(QIODevice::ReadOnly)) {
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

// Reads one physical line into m_buffer; `length` excludes nothing (line ending included).
// A line longer than kMaxLineBytes is consumed to its end without being kept.
bool BetFileReader::readLine(qint64 &length, bool &tooLong)
{
    tooLong = false;
    if (m_atEnd || m_file.atEnd()) {
        m_atEnd = true;
        return false;
    }
    char *data = m_buffer.data();
    const qint64 capacity = m_buffer.size();
    length = m_file.readLine(data, capacity);
    if (length < 0) {
        fail(m_file.errorString());
        return false;
    }
    m_bytesRead += length;
    if (length > 0 && data[length - 1] != '\n' && length == capacity - 1 && !m_file.atEnd()) {
        tooLong = true;
        while (true) {
            const qint64 more = m_file.readLine(data, capacity);
            if (more < 0) {
                fail(m_file.errorString());
                return false;
            }
            m_bytesRead += more;
            if (more == 0 || data[more - 1] == '\n' || m_file.atEnd())
                break;
        }
    }
    ++m_lineNumber;
    return true;
}

bool BetFileReader::readNext(BetRow &row)
{
    if (!m_file.isOpen())
        return false;
    while (true) {
        qint64 length = 0;
        bool tooLong = false;
        if (!readLine(length, tooLong))
            return false;
        row.line = m_lineNumber;
        row.bet.reset();
        row.error.clear();
        if (tooLong) {
            row.error = QStringLiteral("line is longer than %1 bytes").arg(kMaxLineBytes);
            return true;
        }
        std::string_view line(m_buffer.constData(), static_cast<std::size_t>(length));
        line = protocol::stripLineEnding(line);
        if (m_lineNumber == 1 && line.substr(0, kUtf8Bom.size()) == kUtf8Bom)
            line.remove_prefix(kUtf8Bom.size());
        if (isBlank(line))
            continue;
        protocol::CsvBetResult parsed = protocol::parseAgencyCsvLine(line);
        if (!parsed.bet) {
            row.error = QString::fromStdString(parsed.error);
            return true;
        }
        if (const auto error = protocol::validateBet(*parsed.bet, m_today)) {
            row.error = QString::fromStdString(error->reason);
            return true;
        }
        row.bet = std::move(parsed.bet);
        return true;
    }
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
    BetRow row;
    qint64 rows = 0;
    while (reader.readNext(row)) {
        if (row.isValid()) {
            ++result.summary.validRows;
            if (protocol::isWinner(*row.bet))
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
