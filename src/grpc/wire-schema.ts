import type { MessageTypeDefinition, PackageDefinition } from '@grpc/proto-loader';

/**
 * How each field of a message is laid out on the wire, as the strict check
 * of request bytes (wire-format-check.ts) needs it: the encoding of its
 * values, whether it repeats, and for a message-typed field, that message.
 * 32- and 64-bit varints are told apart because protobufjs reads them
 * differently (see wire-format-check.ts).
 */
export type WireKind = 'varint32' | 'varint64' | 'fixed32' | 'fixed64' | 'string' | 'bytes' | 'message';

export interface WireField {
  readonly name: string;
  readonly kind: WireKind;
  readonly repeated: boolean;
  /** The field's message type, for kind 'message' (map entries included). */
  readonly message?: WireMessage;
}

export interface WireMessage {
  /** The message's name as the .proto spells it, e.g. ModelInferRequest. */
  readonly name: string;
  readonly fields: ReadonlyMap<number, WireField>;
}

/** The subset of google.protobuf.DescriptorProto that proto-loader puts in a MessageTypeDefinition's `type`. */
interface FieldDescriptor {
  readonly name: string;
  readonly number: number;
  readonly label: string;
  readonly type: string;
  readonly typeName: string;
}

interface MessageDescriptor {
  readonly name: string;
  readonly field: readonly FieldDescriptor[];
  readonly nestedType: readonly MessageDescriptor[];
}

const KIND_OF_TYPE: Readonly<Record<string, WireKind>> = {
  TYPE_INT32: 'varint32',
  TYPE_UINT32: 'varint32',
  TYPE_SINT32: 'varint32',
  TYPE_BOOL: 'varint32',
  TYPE_ENUM: 'varint32',
  TYPE_INT64: 'varint64',
  TYPE_UINT64: 'varint64',
  TYPE_SINT64: 'varint64',
  TYPE_FIXED32: 'fixed32',
  TYPE_SFIXED32: 'fixed32',
  TYPE_FLOAT: 'fixed32',
  TYPE_FIXED64: 'fixed64',
  TYPE_SFIXED64: 'fixed64',
  TYPE_DOUBLE: 'fixed64',
  TYPE_STRING: 'string',
  TYPE_BYTES: 'bytes',
  TYPE_MESSAGE: 'message',
};

/**
 * The wire layout of a message type of a loaded package, from the
 * descriptors proto-loader keeps (the package's protobufjs types are not
 * reachable from outside proto-loader). Message-typed fields name their type
 * relative to the field's scope, as protobufjs writes descriptors, so names
 * are resolved as protoc does: innermost enclosing scope first.
 */
export function wireSchemaOf(type: MessageTypeDefinition<object, object>, definitions: PackageDefinition): WireMessage {
  const descriptors = messageDescriptors(definitions);
  // A method's request type is a copy of the package's descriptor, equal in content, not the same object.
  const wanted = JSON.stringify(type.type);
  const fullName = [...descriptors].find(([, descriptor]) => JSON.stringify(descriptor) === wanted)?.[0];
  if (fullName === undefined) throw new Error('wireSchemaOf: the message type is not in the package definition');
  const built = new Map<string, WireMessage>();

  const build = (name: string): WireMessage => {
    const existing = built.get(name);
    if (existing) return existing;
    const descriptor = descriptors.get(name)!;
    const fields = new Map<number, WireField>();
    const message: WireMessage = { name: descriptor.name, fields };
    // Registered before its fields are built: a message may contain itself.
    built.set(name, message);
    for (const field of descriptor.field) {
      const kind = KIND_OF_TYPE[field.type];
      if (kind === undefined) throw new Error(`${name}.${field.name}: ${field.type} fields are not supported`);
      fields.set(field.number, {
        name: field.name,
        kind,
        repeated: field.label === 'LABEL_REPEATED',
        ...(kind === 'message' ? { message: build(resolveTypeName(field.typeName, name, descriptors)) } : {}),
      });
    }
    return message;
  };
  return build(fullName);
}

/** Every message descriptor of the package, nested ones included, by full name. */
function messageDescriptors(definitions: PackageDefinition): Map<string, MessageDescriptor> {
  const byName = new Map<string, MessageDescriptor>();
  const add = (name: string, descriptor: MessageDescriptor): void => {
    byName.set(name, descriptor);
    for (const nested of descriptor.nestedType) add(`${name}.${nested.name}`, nested);
  };
  for (const [name, definition] of Object.entries(definitions)) {
    if ('format' in definition && definition.format === 'Protocol Buffer 3 DescriptorProto') add(name, definition.type as MessageDescriptor);
  }
  return byName;
}

function resolveTypeName(typeName: string, scope: string, descriptors: ReadonlyMap<string, MessageDescriptor>): string {
  if (typeName.startsWith('.')) {
    if (descriptors.has(typeName.slice(1))) return typeName.slice(1);
  } else {
    for (let prefix = scope; ; prefix = prefix.slice(0, Math.max(prefix.lastIndexOf('.'), 0))) {
      const candidate = prefix ? `${prefix}.${typeName}` : typeName;
      if (descriptors.has(candidate)) return candidate;
      if (!prefix) break;
    }
  }
  throw new Error(`${scope}: message type ${typeName} not found`);
}
