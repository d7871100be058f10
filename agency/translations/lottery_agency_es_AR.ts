<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_AR">
<context>
    <name>UserMessages</name>
    <message>
        <source>The server could not understand what this app sent. Update the app; if it keeps happening, tell the lottery&apos;s support.</source>
        <translation>El servidor no pudo entender lo que envió esta aplicación. Actualice la aplicación; si sigue pasando, avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The app sent a message larger than the server accepts. Try a smaller batch size.</source>
        <translation>La aplicación envió un mensaje más grande de lo que acepta el servidor. Pruebe con lotes más chicos.</translation>
    </message>
    <message>
        <source>The server does not know a message this app sent: the app and the server are of different versions.</source>
        <translation>El servidor no conoce un mensaje que envió esta aplicación: la aplicación y el servidor son de versiones distintas.</translation>
    </message>
    <message>
        <source>This app and the server speak different protocol versions. Install the version of the app the lottery asks for.</source>
        <translation>Esta aplicación y el servidor usan versiones distintas del protocolo. Instale la versión de la aplicación que pide la lotería.</translation>
    </message>
    <message>
        <source>The server received a message at the wrong moment. Try again; if it keeps happening, tell the lottery&apos;s support.</source>
        <translation>El servidor recibió un mensaje en un momento equivocado. Vuelva a intentarlo; si sigue pasando, avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The server does not know this agency number. Check the agency number.</source>
        <translation>El servidor no conoce este número de agencia. Revise el número de agencia.</translation>
    </message>
    <message>
        <source>The server refused a bet of the file. Check the file&apos;s invalid rows.</source>
        <translation>El servidor rechazó una apuesta del archivo. Revise las filas inválidas del archivo.</translation>
    </message>
    <message>
        <source>The server kept missing a batch of this upload, even after starting again from what it stored. Tell the lottery&apos;s support.</source>
        <translation>Al servidor le siguió faltando un lote de esta subida, aun después de volver a empezar desde lo que tenía guardado. Avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>This agency already finished its upload; the server takes no more bets from it.</source>
        <translation>Esta agencia ya terminó de subir; el servidor no acepta más apuestas de ella.</translation>
    </message>
    <message>
        <source>The server could not store the bets safely; nothing of the failed batch was kept. Try again later.</source>
        <translation>El servidor no pudo guardar las apuestas de forma segura; no se guardó nada del lote fallido. Vuelva a intentar más tarde.</translation>
    </message>
    <message>
        <source>The server refused the agency&apos;s token. Check the token file.</source>
        <translation>El servidor rechazó el token de la agencia. Revise el archivo del token.</translation>
    </message>
    <message>
        <source>The server is busy with too many agencies. Try again in a few minutes.</source>
        <translation>El servidor está ocupado con demasiadas agencias. Vuelva a intentar en unos minutos.</translation>
    </message>
    <message>
        <source>The server is shutting down. Try again in a few minutes.</source>
        <translation>El servidor se está apagando. Vuelva a intentar en unos minutos.</translation>
    </message>
    <message>
        <source>The server closed the connection because this app was too slow. Check the network and try again.</source>
        <translation>El servidor cerró la conexión porque esta aplicación tardó demasiado. Revise la red y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>Another upload of the same agency replaced this one.</source>
        <translation>Otra subida de la misma agencia reemplazó a esta.</translation>
    </message>
    <message>
        <source>The server had an internal error. Tell the lottery&apos;s support.</source>
        <translation>El servidor tuvo un error interno. Avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The server holds other bets under this upload&apos;s batch numbers, even after starting again from what it stored. Check that this is the file that was uploaded, then tell the lottery&apos;s support.</source>
        <translation>El servidor tiene otras apuestas con los números de lote de esta subida, aun después de volver a empezar desde lo que tenía guardado. Revise que sea el archivo que se subió y avise al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The server reported an unknown error (code %1).</source>
        <translation>El servidor informó un error desconocido (código %1).</translation>
    </message>
    <message>
        <source>The server did not understand this agency</source>
        <translation>El servidor no entendió a esta agencia</translation>
    </message>
    <message>
        <source>Protocol version mismatch</source>
        <translation>Versión de protocolo distinta</translation>
    </message>
    <message>
        <source>Agency refused by the server</source>
        <translation>El servidor rechazó la agencia</translation>
    </message>
    <message>
        <source>Batch rejected by the server</source>
        <translation>El servidor rechazó un lote</translation>
    </message>
    <message>
        <source>The server&apos;s record of this agency changed</source>
        <translation>Cambió lo que el servidor tiene guardado de esta agencia</translation>
    </message>
    <message>
        <source>This agency&apos;s upload is already closed</source>
        <translation>La subida de esta agencia ya está cerrada</translation>
    </message>
    <message>
        <source>The server could not store the bets</source>
        <translation>El servidor no pudo guardar las apuestas</translation>
    </message>
    <message>
        <source>Agency token refused</source>
        <translation>Token de la agencia rechazado</translation>
    </message>
    <message>
        <source>The server is busy</source>
        <translation>El servidor está ocupado</translation>
    </message>
    <message>
        <source>The server is stopping</source>
        <translation>El servidor se está apagando</translation>
    </message>
    <message>
        <source>The server gave up waiting</source>
        <translation>El servidor dejó de esperar</translation>
    </message>
    <message>
        <source>Another upload of this agency took over</source>
        <translation>Otra subida de esta agencia tomó su lugar</translation>
    </message>
    <message>
        <source>Error in the server</source>
        <translation>Error en el servidor</translation>
    </message>
    <message>
        <source>Error from the server</source>
        <translation>Error del servidor</translation>
    </message>
    <message>
        <source>Invalid settings</source>
        <translation>Datos inválidos</translation>
    </message>
    <message>
        <source>Some settings are not valid. Check them.</source>
        <translation>Algunos datos de configuración no son válidos. Revíselos.</translation>
    </message>
    <message>
        <source>Cannot read the bets file</source>
        <translation>No se puede leer el archivo de apuestas</translation>
    </message>
    <message>
        <source>The bets file cannot be read. Check that it exists.</source>
        <translation>No se puede leer el archivo de apuestas. Revise que exista.</translation>
    </message>
    <message>
        <source>Wrong bets file</source>
        <translation>Archivo de apuestas equivocado</translation>
    </message>
    <message>
        <source>The server already holds more bets of this agency than this file has. Check the agency number and the file.</source>
        <translation>El servidor ya tiene más apuestas de esta agencia que las que hay en este archivo. Revise el número de agencia y el archivo.</translation>
    </message>
    <message>
        <source>Server unreachable</source>
        <translation>No se llega al servidor</translation>
    </message>
    <message>
        <source>The server&apos;s name is unknown. Check the server address.</source>
        <translation>No se conoce el nombre del servidor. Revise la dirección del servidor.</translation>
    </message>
    <message>
        <source>The server does not answer. Check the address and port, and that the server is running.</source>
        <translation>El servidor no responde. Revise la dirección y el puerto, y que el servidor esté funcionando.</translation>
    </message>
    <message>
        <source>Secure connection failed</source>
        <translation>Falló la conexión segura</translation>
    </message>
    <message>
        <source>The secure connection failed: the server&apos;s certificate does not match the CA file, or the CA file is not usable.</source>
        <translation>Falló la conexión segura: el certificado del servidor no coincide con el archivo de la CA, o el archivo de la CA no sirve.</translation>
    </message>
    <message>
        <source>Connection lost</source>
        <translation>Se perdió la conexión</translation>
    </message>
    <message>
        <source>The connection to the server was lost. Try again: the upload resumes where it stopped.</source>
        <translation>Se perdió la conexión con el servidor. Vuelva a intentarlo: la subida sigue donde quedó.</translation>
    </message>
    <message>
        <source>The server stopped answering</source>
        <translation>El servidor dejó de responder</translation>
    </message>
    <message>
        <source>The server stopped answering. Try again: the upload resumes where it stopped.</source>
        <translation>El servidor dejó de responder. Vuelva a intentarlo: la subida sigue donde quedó.</translation>
    </message>
    <message>
        <source>Unexpected answer from the server</source>
        <translation>Respuesta inesperada del servidor</translation>
    </message>
    <message>
        <source>The server answered something this app does not understand: they may be of different versions.</source>
        <translation>El servidor respondió algo que esta aplicación no entiende: pueden ser de versiones distintas.</translation>
    </message>
    <message>
        <source>The server lost confirmed bets</source>
        <translation>El servidor perdió apuestas confirmadas</translation>
    </message>
    <message>
        <source>The server now holds fewer bets than it had confirmed. Tell the lottery&apos;s support before retrying.</source>
        <translation>El servidor ahora tiene menos apuestas que las que había confirmado. Avise al soporte de la lotería antes de reintentar.</translation>
    </message>
    <message>
        <source>The server reported an error.</source>
        <translation>El servidor informó un error.</translation>
    </message>
    <message>
        <source>The server refused a batch of bets.</source>
        <translation>El servidor rechazó un lote de apuestas.</translation>
    </message>
    <message>
        <source>Upload failed</source>
        <translation>Falló la subida</translation>
    </message>
    <message>
        <source>The upload failed.</source>
        <translation>La subida falló.</translation>
    </message>
    <message>
        <source>badly placed quotes</source>
        <translation>comillas mal puestas</translation>
    </message>
    <message>
        <source>expected 5 fields, found %1</source>
        <translation>se esperaban 5 campos y hay %1</translation>
    </message>
    <message>
        <source>the line is longer than %1 bytes</source>
        <translation>la línea tiene más de %1 bytes</translation>
    </message>
    <message>
        <source>%1 is empty</source>
        <translation>falta %1</translation>
    </message>
    <message>
        <source>%1 is longer than %2 bytes</source>
        <translation>%1 tiene más de %2 bytes</translation>
    </message>
    <message>
        <source>%1 is not valid UTF-8 text</source>
        <translation>%1 no es texto UTF-8 válido</translation>
    </message>
    <message>
        <source>%1 contains a control character</source>
        <translation>%1 tiene un carácter de control</translation>
    </message>
    <message>
        <source>%1 contains an invisible control character (U+0080 to U+009F)</source>
        <translation>%1 tiene un carácter de control invisible (U+0080 a U+009F)</translation>
    </message>
    <message>
        <source>%1 contains a line or paragraph separator (U+2028/U+2029)</source>
        <translation>%1 tiene un separador de línea o de párrafo (U+2028/U+2029)</translation>
    </message>
    <message>
        <source>%1 has spaces at the start or the end</source>
        <translation>%1 tiene espacios al principio o al final</translation>
    </message>
    <message>
        <source>%1 begins with an invisible byte order mark (U+FEFF)</source>
        <translation>%1 empieza con una marca de orden de bytes invisible (U+FEFF)</translation>
    </message>
    <message>
        <source>%1 has a no-break space (U+00A0) at the start or the end</source>
        <translation>%1 tiene un espacio de no separación (U+00A0) al principio o al final</translation>
    </message>
    <message>
        <source>%1 begins with &apos;%2&apos;, which a spreadsheet would run as a formula</source>
        <translation>%1 empieza con &apos;%2&apos;, que una planilla de cálculo ejecutaría como fórmula</translation>
    </message>
    <message>
        <source>%1 has more than %2 digits</source>
        <translation>%1 tiene más de %2 dígitos</translation>
    </message>
    <message>
        <source>%1 must contain only digits</source>
        <translation>%1 debe tener solo dígitos</translation>
    </message>
    <message>
        <source>%1 is not a real date in YYYY-MM-DD form</source>
        <translation>%1 no es una fecha real con la forma AAAA-MM-DD</translation>
    </message>
    <message>
        <source>%1 is before %2</source>
        <translation>%1 es anterior a %2</translation>
    </message>
    <message>
        <source>%1 is in the future</source>
        <translation>%1 está en el futuro</translation>
    </message>
    <message>
        <source>%1 is above %2</source>
        <translation>%1 es mayor que %2</translation>
    </message>
    <message>
        <source>%1 is not a whole number</source>
        <translation>%1 no es un número entero</translation>
    </message>
    <message>
        <source>first name</source>
        <translation>el nombre</translation>
    </message>
    <message>
        <source>last name</source>
        <translation>el apellido</translation>
    </message>
    <message>
        <source>document</source>
        <translation>el documento</translation>
    </message>
    <message>
        <source>birthdate</source>
        <translation>la fecha de nacimiento</translation>
    </message>
    <message>
        <source>number</source>
        <translation>el número</translation>
    </message>
    <message>
        <source>The file is not saved as UTF-8 text: line %1 reads only as Windows-1252 (Latin-1), what most Windows programs write: &quot;%2&quot;. Its rows with accents or ñ would not be sent. Save it again as &quot;CSV UTF-8&quot; (Excel: Save As, &quot;CSV UTF-8 (Comma delimited)&quot;; LibreOffice: character set &quot;Unicode (UTF-8)&quot;) and use that file.</source>
        <translation>El archivo no está guardado como texto UTF-8: la línea %1 solo se lee como Windows-1252 (Latin-1), lo que escriben la mayoría de los programas de Windows: «%2». Sus filas con tildes o ñ no se enviarían. Guárdelo de nuevo como «CSV UTF-8» (Excel: Guardar como, «CSV UTF-8 (delimitado por comas)»; LibreOffice: juego de caracteres «Unicode (UTF-8)») y use ese archivo.</translation>
    </message>
    <message>
        <source>The file&apos;s columns are separated by &apos;;&apos; (line %1), not by &apos;,&apos;: its rows would not be sent. Save it again with &apos;,&apos; as the separator (Excel: &quot;CSV UTF-8 (Comma delimited)&quot;; LibreOffice: field delimiter &apos;,&apos;).</source>
        <translation>Las columnas del archivo están separadas por &apos;;&apos; (línea %1), no por &apos;,&apos;: sus filas no se enviarían. Guárdelo de nuevo con &apos;,&apos; como separador (Excel: «CSV UTF-8 (delimitado por comas)»; LibreOffice: delimitador de campos &apos;,&apos;).</translation>
    </message>
    <message>
        <source>Line %1 holds column names (&quot;%2&quot;): the file must have no header row, only bets, in the order first name, last name, document, birthdate, number. Delete that line; if the columns are in another order, put them in this one.</source>
        <translation>La línea %1 tiene nombres de columnas («%2»): el archivo no debe tener fila de encabezado, solo apuestas, en el orden nombre, apellido, documento, fecha de nacimiento, número. Borre esa línea; si las columnas están en otro orden, póngalas en este.</translation>
    </message>
    <message>
        <source>The file&apos;s only row is not a valid bet: nothing would be sent. Look at why it is invalid, fix the file and try again.</source>
        <translation>La única fila del archivo no es una apuesta válida: no se enviaría nada. Vea por qué es inválida, corrija el archivo y vuelva a intentar.</translation>
    </message>
    <message>
        <source>None of the file&apos;s %1 rows is a valid bet: nothing would be sent. Look at why each row is invalid, fix the file and try again.</source>
        <translation>Ninguna de las %1 filas del archivo es una apuesta válida: no se enviaría nada. Vea por qué cada fila es inválida, corrija el archivo y vuelva a intentar.</translation>
    </message>
    <message>
        <source>%1 of the file&apos;s %2 rows are not valid bets (more than %3 %): they would not be sent. Look at why, fix the file and try again.</source>
        <translation>%1 de las %2 filas del archivo no son apuestas válidas (más del %3 %): no se enviarían. Vea por qué, corrija el archivo y vuelva a intentar.</translation>
    </message>
    <message>
        <source>Sending a file closes this agency&apos;s upload: after it the server takes no more bets from the agency, not even a corrected file.</source>
        <translation>Enviar un archivo cierra la subida de esta agencia: después el servidor no acepta más apuestas de ella, ni siquiera un archivo corregido.</translation>
    </message>
    <message>
        <source>The file has no rows: nothing would be sent. Check that it is the agency&apos;s bets file; if the agency sold no bets, send it anyway to close its upload.</source>
        <translation>El archivo no tiene filas: no se enviaría nada. Verifique que sea el archivo de apuestas de la agencia; si la agencia no vendió apuestas, envíelo igual para cerrar su subida.</translation>
    </message>
    <message>
        <source>This file does not match what the server holds</source>
        <translation>Este archivo no coincide con lo que tiene el servidor</translation>
    </message>
    <message>
        <source>The server&apos;s receipt does not match</source>
        <translation>El recibo del servidor no coincide</translation>
    </message>
    <message>
        <source>The server confirmed different bets than the ones this agency sent. Stop, keep this window or the terminal output, and call the lottery&apos;s support.</source>
        <translation>El servidor confirmó apuestas distintas de las que envió esta agencia. Deténgase, conserve esta ventana o lo que muestra la terminal, y llame al soporte de la lotería.</translation>
    </message>
    <message>
        <source>Sales closed before this upload finished: the bets the server stored before the close count and are in the draw; the rest were not stored.</source>
        <translation>La venta cerró antes de que terminara esta subida: las apuestas que el servidor guardó antes del cierre cuentan y entran en el sorteo; el resto no se guardó.</translation>
    </message>
    <message>
        <source>Sales are closed</source>
        <translation>La venta está cerrada</translation>
    </message>
    <message numerus="yes">
        <source>Sales closed before this upload finished. %n bet(s) of this agency were stored before the close: those count and are in the draw. The rest of the file was not stored.</source>
        <translation>
            <numerusform>La venta cerró antes de que terminara esta subida. Se guardó %n apuesta de esta agencia antes del cierre: esa cuenta y entra en el sorteo. El resto del archivo no se guardó.</numerusform>
            <numerusform>La venta cerró antes de que terminara esta subida. Se guardaron %n apuestas de esta agencia antes del cierre: esas cuentan y entran en el sorteo. El resto del archivo no se guardó.</numerusform>
        </translation>
    </message>
    <message>
        <source>the connection was refused: nothing listens at that address and port</source>
        <translation>se rechazó la conexión: nada escucha en esa dirección y puerto</translation>
    </message>
    <message>
        <source>the server closed the connection</source>
        <translation>el servidor cerró la conexión</translation>
    </message>
    <message>
        <source>no computer has that name</source>
        <translation>ningún equipo tiene ese nombre</translation>
    </message>
    <message>
        <source>no answer to the connection attempts</source>
        <translation>nadie respondió a los intentos de conexión</translation>
    </message>
    <message>
        <source>the network failed (is this computer connected?)</source>
        <translation>falló la red (¿este equipo está conectado?)</translation>
    </message>
    <message>
        <source>the secure connection (TLS) could not be set up</source>
        <translation>no se pudo establecer la conexión segura (TLS)</translation>
    </message>
    <message>
        <source>the file %1 does not exist</source>
        <translation>el archivo %1 no existe</translation>
    </message>
    <message>
        <source>%1 is a folder, not a file</source>
        <translation>%1 es una carpeta, no un archivo</translation>
    </message>
    <message>
        <source>this user may not read %1</source>
        <translation>este usuario no puede leer %1</translation>
    </message>
    <message>
        <source>%1 could not be read to the end</source>
        <translation>no se pudo leer %1 hasta el final</translation>
    </message>
    <message>
        <source>servers tried: %1</source>
        <translation>servidores probados: %1</translation>
    </message>
    <message>
        <source>server %1</source>
        <translation>servidor %1</translation>
    </message>
    <message>
        <source>the server&apos;s error code %1</source>
        <translation>código de error del servidor %1</translation>
    </message>
    <message>
        <source>batch number %1</source>
        <translation>lote número %1</translation>
    </message>
    <message>
        <source>file %1</source>
        <translation>archivo %1</translation>
    </message>
    <message>
        <source>The sealed draw does not match this agency&apos;s receipt</source>
        <translation>El sorteo sellado no coincide con el comprobante de esta agencia</translation>
    </message>
    <message>
        <source>The draw was sealed over other bets of this agency than the server confirmed. Keep the receipt and this output, and call the lottery&apos;s support.</source>
        <translation>El sorteo se selló con apuestas de esta agencia distintas de las que el servidor confirmó. Guarde el comprobante y esta salida, y llame al soporte de la lotería.</translation>
    </message>
    <message>
        <source>The file looks wrong: the agency was not closed</source>
        <translation>El archivo parece equivocado: la agencia no se cerró</translation>
    </message>
    <message>
        <source>The file&apos;s valid rows were sent and stored, but the file as a whole looks wrong, so the agency&apos;s upload was not closed. Fix the file and send it again: only the rows still missing are sent. If the file is right as it is, send it again confirming that it is.</source>
        <translation>Las filas válidas del archivo se enviaron y quedaron guardadas, pero el archivo en su conjunto parece equivocado, así que la subida de la agencia no se cerró. Corrija el archivo y envíelo de nuevo: solo se envían las filas que falten. Si el archivo está bien así, envíelo de nuevo confirmando que lo está.</translation>
    </message>
    <message>
        <source>This agency was disabled by the lottery&apos;s operator: the server takes no bets from it until the operator enables it again. The bets it already stored are kept. Call the lottery.</source>
        <translation>Esta agencia fue deshabilitada por el operador de la lotería: el servidor no recibe apuestas de ella hasta que el operador la vuelva a habilitar. Las apuestas que ya había guardado se conservan. Comuníquese con la lotería.</translation>
    </message>
    <message>
        <source>Agency disabled by the operator</source>
        <translation>Agencia deshabilitada por el operador</translation>
    </message>
    <message>
        <source>Agency %1 was disabled by the lottery&apos;s operator: the server takes no bets from it until the operator enables it again. The bets it already stored are kept. Call the lottery.</source>
        <translation>La agencia %1 fue deshabilitada por el operador de la lotería: el servidor no recibe apuestas de ella hasta que el operador la vuelva a habilitar. Las apuestas que ya había guardado se conservan. Comuníquese con la lotería.</translation>
    </message>
    <message numerus="yes">
        <source>The server already stored %n bet(s) of this agency that this file no longer has. Stored bets are final: they cannot be removed or changed. Nothing was sent and the upload was not closed. Put these rows back in the file exactly as they were (corrected rows may stay, they are sent as new bets) and try again:</source>
        <translation>
            <numerusform>El servidor ya guardó %n apuesta de esta agencia que este archivo ya no tiene. Las apuestas guardadas son definitivas: no se pueden quitar ni cambiar. No se envió nada y la subida no se cerró. Vuelva a poner esta fila en el archivo exactamente como estaba (las filas corregidas pueden quedar: se envían como apuestas nuevas) e intente de nuevo:</numerusform>
            <numerusform>El servidor ya guardó %n apuestas de esta agencia que este archivo ya no tiene. Las apuestas guardadas son definitivas: no se pueden quitar ni cambiar. No se envió nada y la subida no se cerró. Vuelva a poner estas filas en el archivo exactamente como estaban (las filas corregidas pueden quedar: se envían como apuestas nuevas) e intente de nuevo:</numerusform>
        </translation>
    </message>
    <message>
        <source>- stored bet no. %1: %2 (it was after line %3 of the file)</source>
        <translation>- apuesta guardada n.º %1: %2 (estaba después de la línea %3 del archivo)</translation>
    </message>
    <message>
        <source>- stored bet no. %1: %2 (before the other stored rows of the file)</source>
        <translation>- apuesta guardada n.º %1: %2 (antes de las demás filas guardadas del archivo)</translation>
    </message>
    <message numerus="yes">
        <source>- and %n more.</source>
        <translation>
            <numerusform>- y %n más.</numerusform>
            <numerusform>- y %n más.</numerusform>
        </translation>
    </message>
    <message>
        <source>This file lacks bets the server already stored</source>
        <translation>A este archivo le faltan apuestas que el servidor ya guardó</translation>
    </message>
    <message>
        <source>The bets the server already stored for this agency are not the first valid rows of this file, so nothing more was sent and nothing was closed. Choose the file this upload started with. If you corrected rows, keep the original rows in place and add the corrected ones at the end of the file.</source>
        <translation>Las apuestas que el servidor ya guardó para esta agencia no son las primeras filas válidas de este archivo, así que no se envió nada más ni se cerró la subida. Elija el archivo con el que empezó esta subida. Si corrigió filas, deje las originales en su lugar y agregue las corregidas al final del archivo.</translation>
    </message>
    <message>
        <source>None of the bets stored for this agency is in this file: is it the file this upload started with?</source>
        <translation>Ninguna de las apuestas guardadas para esta agencia está en este archivo: ¿es el archivo con el que empezó esta subida?</translation>
    </message>
</context>
<context>
    <name>lottery::agency::ServerAddress</name>
    <message>
        <source>bad server address &apos;%1&apos;: %2</source>
        <translation>dirección de servidor incorrecta &apos;%1&apos;: %2</translation>
    </message>
    <message>
        <source>unclosed &apos;[&apos; around an IPv6 address</source>
        <translation>falta cerrar el &apos;[&apos; de una dirección IPv6</translation>
    </message>
    <message>
        <source>expected HOST:PORT</source>
        <translation>se esperaba HOST:PUERTO</translation>
    </message>
    <message>
        <source>write an IPv6 address in brackets, [::1]:PORT</source>
        <translation>escriba una dirección IPv6 entre corchetes, [::1]:PUERTO</translation>
    </message>
    <message>
        <source>the host is empty</source>
        <translation>falta el host</translation>
    </message>
    <message>
        <source>the host contains a space or a comma</source>
        <translation>el host tiene un espacio o una coma</translation>
    </message>
    <message>
        <source>the port must be a number in 1..65535</source>
        <translation>el puerto debe ser un número entre 1 y 65535</translation>
    </message>
    <message>
        <source>an empty entry in the list</source>
        <translation>la lista tiene una entrada vacía</translation>
    </message>
    <message>
        <source>%1 is listed twice</source>
        <translation>%1 está dos veces en la lista</translation>
    </message>
</context>
<context>
    <name>lottery::agency::TokenFile</name>
    <message>
        <source>the token is empty</source>
        <translation>el token está vacío</translation>
    </message>
    <message>
        <source>the token is longer than %1 bytes (%2)</source>
        <translation>el token tiene más de %1 bytes (%2)</translation>
    </message>
    <message>
        <source>the token is not valid UTF-8</source>
        <translation>el token no es UTF-8 válido</translation>
    </message>
    <message>
        <source>the token holds a non-printable character (U+%1) at character %2</source>
        <translation>el token tiene un carácter no imprimible (U+%1) en el carácter %2</translation>
    </message>
    <message>
        <source>the token has leading or trailing white space</source>
        <translation>el token tiene espacios en blanco al principio o al final</translation>
    </message>
    <message>
        <source>token file &apos;%1&apos;</source>
        <translation>archivo del token &apos;%1&apos;</translation>
    </message>
</context>
</TS>
