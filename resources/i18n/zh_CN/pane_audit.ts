<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AuditPane</name>
    <message>
        <source>Audit log</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <source>The tamper-evident record of who did what, with filters, search, export and a chain verification.</source>
        <translation>防篡改的操作记录：谁在何时做了什么，支持筛选、搜索、导出和链式校验。</translation>
    </message>
</context>
</TS>
