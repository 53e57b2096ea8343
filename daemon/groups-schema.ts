// The `groups { group { … } }` blocks: fence_virtd's access control
// (name, uuid, ip), plus key_file, which makes a group a cluster scope.
import { defineSection, key } from './config/schema.js';

export const groupSchema = defineSection({
  path: 'groups/group',
  doc: 'Who may fence what: a request is allowed when one group lists the peer and the domain.',
  keys: {
    name: key.string({ defaultText: 'unnamed-N', doc: 'a label for logs, and the name listeners\' `group` refers to' }),
    uuid: key.repeated({ doc: 'a domain the group may fence, by name or UUID (case-insensitive); repeat for each' }),
    ip: key.repeated({ doc: 'a peer address that may send requests; repeat for each' }),
    key_file: key.string({ extension: true, doc: 'a cluster key: a request signed with it may act only on this group\'s domains, on any listener' }),
  },
});

export const groupsSchema = defineSection({
  path: 'groups',
  doc: 'Access control: the group blocks.',
  keys: {},
  sections: [{ name: 'group', repeatable: 'yes' }],
});
