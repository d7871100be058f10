#include "winners_model.h"

#include "common/csv.h"

#include <QSaveFile>

#include <string>

namespace lottery::gui {

void WinnersModel::setWinners(const QList<WinnerRecord> &winners)
{
    beginResetModel();
    m_winners = winners;
    endResetModel();
}

bool WinnersModel::exportCsv(const QString &path, QString *errorString) const
{
    // QSaveFile: an existing file is only replaced once the new one is complete.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (errorString)
            *errorString = tr("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    // The header in the person's language: the file is for people (a spreadsheet, a printout).
    std::string out = tr("document,first_name,last_name,number").toStdString() + '\n';
    for (const WinnerRecord &winner : m_winners) {
        appendCsvField(out, winner.document.toStdString());
        out.push_back(',');
        appendCsvField(out, winner.firstName.toUtf8().toStdString());
        out.push_back(',');
        appendCsvField(out, winner.lastName.toUtf8().toStdString());
        out.push_back(',');
        if (winner.number >= 0)
            out += std::to_string(winner.number);
        out.push_back('\n');
    }
    file.write(out.data(), static_cast<qint64>(out.size()));
    if (!file.commit()) {
        if (errorString)
            *errorString = tr("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

int WinnersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_winners.size());
}

int WinnersModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WinnersModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_winners.size())
        return {};
    const WinnerRecord &winner = m_winners.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case DocumentColumn: return winner.document;
        case FirstNameColumn:
            return winner.foundInFile() ? winner.firstName : tr("(not in the local file)");
        case LastNameColumn: return winner.lastName;
        case NumberColumn: return winner.number >= 0 ? QVariant(winner.number) : QVariant();
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole
        && (index.column() == NumberColumn || index.column() == DocumentColumn))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant WinnersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case DocumentColumn: return tr("Document");
    case FirstNameColumn: return tr("First name");
    case LastNameColumn: return tr("Last name");
    case NumberColumn: return tr("Number");
    default: return {};
    }
}

} // namespace lottery::gui
