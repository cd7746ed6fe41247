<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>UsersPane</name>
    <message>
        <source>Users &amp; Access</source>
        <translation>用户与权限</translation>
    </message>
    <message>
        <source>Local users, their roles, and who may use, export or manage each model and dataset.</source>
        <translation>本地用户及其角色，以及谁可以使用、导出或管理每个模型和数据集。</translation>
    </message>
</context>
</TS>
