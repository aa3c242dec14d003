import React from "react";
import {
  Admin, Resource, List, Datagrid, TextField, DateField, BooleanField, NumberField, Edit, Create,
  SimpleForm, TextInput, SelectInput, BooleanInput, NumberInput, ReferenceField, ReferenceInput,
  ReferenceManyField, SearchInput, BulkDeleteButton, BulkUpdateButton, DeleteButton, SaveButton,
  Toolbar, Button, useRecordContext, useUpdate, useNotify, useRefresh, required,
} from "react-admin";
import { authProvider } from "./authProvider.js";
import { dataProvider } from "./dataProvider.js";
import { counted } from "./counted.js";

const privacy = ["public", "invitee", "member", "manager", "secret"].map((id) => ({ id, name: id }));
const choices = (...ids) => ids.map((id) => ({ id, name: id }));

// Writes wait for the API's answer (no undo window): a refusal, such as
// 412 for a stale copy, shows at once as a notification.
const pessimistic = { mutationMode: "pessimistic" };

const EditToolbar = () => (
  <Toolbar sx={{ display: "flex", justifyContent: "space-between" }}>
    <SaveButton />
    <DeleteButton mutationMode="pessimistic" />
  </Toolbar>
);

// --- people ---
const PersonList = () => (
  <List sort={{ field: "name", order: "ASC" }}>
    <Datagrid rowClick="edit" bulkActionButtons={false}>
      <TextField source="name" />
      <TextField source="identity" />
      <TextField source="privacy" />
      <DateField source="created" />
    </Datagrid>
  </List>
);
const PersonEdit = () => (
  <Edit {...pessimistic}>
    <SimpleForm toolbar={<EditToolbar />}>
      <TextInput source="name" validate={required()} />
      <TextInput source="identity" />
      <SelectInput source="privacy" choices={privacy} />
    </SimpleForm>
  </Edit>
);

// --- contacts ---
const contactFilters = [
  <SearchInput key="q" source="q" alwaysOn />,
  <SelectInput key="type" source="type" choices={choices("email", "sms", "voice", "messenger")} />,
];
const ContactBulkActions = () => (
  <>
    <BulkUpdateButton label="Mute" data={{ muted: true }} mutationMode="pessimistic" />
    <BulkDeleteButton mutationMode="pessimistic" />
  </>
);
const ContactList = () => (
  <List filters={contactFilters} sort={{ field: "info", order: "ASC" }}>
    <Datagrid rowClick="edit" bulkActionButtons={<ContactBulkActions />}>
      <TextField source="info" />
      <TextField source="type" />
      <TextField source="label" />
      <NumberField source="rank" />
      <BooleanField source="muted" />
      <TextField source="privacy" />
    </Datagrid>
  </List>
);
const contactForm = (
  <SimpleForm toolbar={<EditToolbar />}>
    <TextInput source="info" validate={required()} />
    <SelectInput source="type" choices={choices("email", "sms", "voice", "messenger")} />
    <SelectInput source="label" choices={choices("home", "mobile", "other", "work")} />
    <NumberInput source="rank" />
    <BooleanInput source="muted" />
    <SelectInput source="privacy" choices={privacy} />
  </SimpleForm>
);
const ContactEdit = () => <Edit {...pessimistic}>{contactForm}</Edit>;
const ContactCreate = () => <Create>{contactForm}</Create>;

// --- categories and lists ---
const CategoryList = () => (
  <List sort={{ field: "name", order: "ASC" }}>
    <Datagrid rowClick="edit" bulkActionButtons={false}>
      <TextField source="name" />
      <DateField source="created" />
    </Datagrid>
  </List>
);
const CategoryEdit = () => (
  <Edit {...pessimistic}>
    <SimpleForm toolbar={<EditToolbar />}>
      <TextInput source="name" validate={required()} />
    </SimpleForm>
  </Edit>
);
const CategoryCreate = () => (
  <Create redirect="list">
    <SimpleForm>
      <TextInput source="name" validate={required()} />
    </SimpleForm>
  </Create>
);
const ListList = () => (
  <List sort={{ field: "name", order: "ASC" }}>
    <Datagrid rowClick="edit" bulkActionButtons={false}>
      <TextField source="name" />
      <TextField source="description" />
      <ReferenceField source="category_id" reference="category" link={false}>
        <TextField source="name" />
      </ReferenceField>
      <TextField source="privacy" />
    </Datagrid>
  </List>
);
const ListEdit = () => (
  <Edit {...pessimistic}>
    <SimpleForm toolbar={<EditToolbar />}>
      <TextInput source="name" validate={required()} />
      <TextInput source="description" />
      <ReferenceInput source="category_id" reference="category">
        <SelectInput optionText="name" />
      </ReferenceInput>
      <SelectInput source="privacy" choices={privacy} />
      <ReferenceManyField label="Messages" reference="message" target="list_id" sort={{ field: "subject", order: "ASC" }}>
        <Datagrid bulkActionButtons={false}>
          <TextField source="subject" />
          <TextField source="content" />
        </Datagrid>
      </ReferenceManyField>
    </SimpleForm>
  </Edit>
);

// --- messages ---
const MessageList = () => (
  <List sort={{ field: "subject", order: "ASC" }}>
    <Datagrid rowClick="edit" bulkActionButtons={<BulkDeleteButton mutationMode="pessimistic" />}>
      <TextField source="subject" />
      <TextField source="content" />
      <ReferenceField source="list_id" reference="list" link={false}>
        <TextField source="name" />
      </ReferenceField>
      <DateField source="created" />
    </Datagrid>
  </List>
);
const MessageEdit = () => (
  <Edit {...pessimistic}>
    <SimpleForm toolbar={<EditToolbar />}>
      <TextInput source="subject" />
      <TextInput source="content" multiline validate={required()} />
      <ReferenceInput source="list_id" reference="list">
        <SelectInput optionText="name" />
      </ReferenceInput>
    </SimpleForm>
  </Edit>
);

// --- trashcan ---
// RestoreButton puts a deleted record back: PUT /trashcan/{id}
// {"status": "active"}, through the data provider's update.
const RestoreButton = () => {
  const record = useRecordContext();
  const notify = useNotify();
  const refresh = useRefresh();
  const [update, { isPending }] = useUpdate();
  if (!record) return null;
  const restore = (e) => {
    e.stopPropagation();
    update(
      "trashcan",
      { id: record.id, data: { status: "active" }, previousData: record },
      {
        mutationMode: "pessimistic",
        onSuccess: () => {
          notify("Restored", { type: "success" });
          refresh();
        },
        onError: (err) => notify(err.message, { type: "error" }),
      },
    );
  };
  return <Button label="Restore" onClick={restore} disabled={isPending} />;
};
const TrashList = () => (
  <List>
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <TextField source="resource" />
      <TextField source="id" />
      <DateField source="modified" showTime />
      <RestoreButton />
    </Datagrid>
  </List>
);

export const App = ({ api }) => (
  <Admin dataProvider={counted(dataProvider(api))} authProvider={authProvider(api)} requireAuth disableTelemetry>
    <Resource name="person" options={{ label: "People" }} list={PersonList} edit={PersonEdit} recordRepresentation="name" />
    <Resource name="contact" options={{ label: "Contacts" }} list={ContactList} edit={ContactEdit} create={ContactCreate} recordRepresentation="info" />
    <Resource name="list" options={{ label: "Lists" }} list={ListList} edit={ListEdit} recordRepresentation="name" />
    <Resource name="message" options={{ label: "Messages" }} list={MessageList} edit={MessageEdit} recordRepresentation="subject" />
    <Resource name="category" options={{ label: "Categories" }} list={CategoryList} edit={CategoryEdit} create={CategoryCreate} recordRepresentation="name" />
    <Resource name="trashcan" options={{ label: "Trashcan" }} list={TrashList} />
  </Admin>
);
