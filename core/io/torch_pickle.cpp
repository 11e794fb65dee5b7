// Why: opcode meanings follow Python's pickletools documentation.
#include "io/torch_pickle.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>

#include "io/zip_archive.h"
#include "util/read_progress.h"

namespace mae {

namespace {

// Budgets for one pickle. The authors' ViT-Huge checkpoint with its optimizer state needs a
// few thousand objects; these are orders of magnitude above any real file and keep a hostile
// one under a few hundred MiB.
constexpr int64_t kMaxObjects = int64_t{1} << 20;
constexpr size_t kMaxStack = size_t{1} << 20;
constexpr size_t kMaxMemo = size_t{1} << 20;
constexpr int64_t kMaxElements = int64_t{1} << 22;     // items + entries of all containers
constexpr int64_t kMaxStringBytes = int64_t{1} << 28;  // all strings built, in bytes
constexpr int kMaxDepth = 64;
constexpr uint64_t kMaxPickleBytes = uint64_t{64} << 20;  // ViT-Huge with optimizer: 0.2 MiB
constexpr size_t kMaxDims = 8;

at::ScalarType storage_dtype(const std::string& type) {
  static const std::pair<const char*, at::ScalarType> kTypes[] = {
      {"FloatStorage", at::kFloat}, {"DoubleStorage", at::kDouble},
      {"HalfStorage", at::kHalf},   {"BFloat16Storage", at::kBFloat16},
      {"LongStorage", at::kLong},   {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort}, {"CharStorage", at::kChar},
      {"ByteStorage", at::kByte},   {"BoolStorage", at::kBool}};
  for (const auto& [name, dtype] : kTypes)
    if (type.size() >= std::strlen(name) &&
        type.compare(type.size() - std::strlen(name), std::string::npos, name) == 0)
      return dtype;
  throw CheckpointError("unsupported storage type '" + type + "'");
}

using StorageLoader = std::function<at::Tensor(const std::string& key, at::ScalarType, int64_t)>;

// Owns every value of one pickle. Values hold plain pointers to each other, so destroying
// the arena is one flat loop whatever the nesting, and reference cycles cannot leak.
struct PickleArena {
  std::vector<std::unique_ptr<PickleValue>> values;
};

class Unpickler {
 public:
  Unpickler(const std::vector<uint8_t>& bytes, StorageLoader loader)
      : p_(bytes), load_storage_(std::move(loader)), arena_(std::make_shared<PickleArena>()) {}

  PickleRef run() {
    while (true) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80:
          byte();
          break;  // PROTO
        case 0x95:
          take(8);
          break;     // FRAME
        case '.': {  // STOP
          const PickleValue* root = pop();
          return PickleRef(arena_, root);
        }
        case '}':
          push(make(PickleValue::Kind::Dict));
          break;
        case ']':
          push(make(PickleValue::Kind::List));
          break;
        case ')':
          push(make(PickleValue::Kind::Tuple));
          break;
        case '(':
          if (marks_.size() >= kMaxStack) fail("too many marks");
          marks_.push_back(stack_.size());
          break;
        case 'N':
          push(make(PickleValue::Kind::None));
          break;
        case 0x88:
        case 0x89: {
          auto* b = make(PickleValue::Kind::Bool);
          b->i = op == 0x88;
          push(b);
          break;
        }
        case 'K':
          push_int(byte());
          break;
        case 'M':
          push_int(u16());
          break;
        case 'J':
          push_int(static_cast<int32_t>(u32()));
          break;
        case 0x8a:
          push_int(long1());
          break;
        case 'G': {
          uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();
          auto* f = make(PickleValue::Kind::Float);
          std::memcpy(&f->f, &bits, 8);
          push(f);
          break;
        }
        case 'X':
        case 'T':
          push(make_string(str(u32())));
          break;
        case 0x8c:
        case 'U':
          push(make_string(str(byte())));
          break;
        case 0x8d:
          push(make_string(str(u64())));
          break;
        case 'B':
          push(make_string(str(u32()), PickleValue::Kind::Bytes));
          break;
        case 'C':
          push(make_string(str(byte()), PickleValue::Kind::Bytes));
          break;
        case 'q':
          memoize(byte());
          break;
        case 'r':
          memoize(u32());
          break;
        case 0x94:
          memoize(static_cast<int64_t>(memo_.size()));
          break;
        case 'h':
          push(memo_at(byte()));
          break;
        case 'j':
          push(memo_at(u32()));
          break;
        case 't': {
          auto* t = make(PickleValue::Kind::Tuple);
          for (const auto* v : pop_mark()) add_item(t, v);
          push(t);
          break;
        }
        case 0x85:
        case 0x86:
        case 0x87: {
          std::vector<const PickleValue*> items(op - 0x84);
          for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
          auto* t = make(PickleValue::Kind::Tuple);
          for (const auto* v : items) add_item(t, v);
          push(t);
          break;
        }
        case 'a': {
          const auto* v = pop();
          add_item(container(), v);
          break;
        }
        case 'e': {
          const auto values = pop_mark();
          auto* l = container();
          for (const auto* v : values) add_item(l, v);
          break;
        }
        case 's': {
          const auto* v = pop();
          const auto* k = pop();
          add_entry(container(), k, v);
          break;
        }
        case 'u': {
          const auto values = pop_mark();
          if (values.size() % 2) fail("odd SETITEMS");
          auto* d = container();
          for (size_t i = 0; i < values.size(); i += 2) add_entry(d, values[i], values[i + 1]);
          break;
        }
        case 'c': {
          auto module = line();
          auto name = line();
          push(make_string(module + "." + name, PickleValue::Kind::Global));
          break;
        }
        case 0x93: {
          const auto* name = pop();
          const auto* module = pop();
          push(make_string(module->s + "." + name->s, PickleValue::Kind::Global));
          break;
        }
        case 'R': {
          const auto* args = pop();
          const auto* callable = pop();
          push(reduce(callable, args));
          break;
        }
        case 0x81: {
          const auto* args = pop();
          const auto* cls = pop();
          push(placeholder(cls->s, args));
          break;
        }
        case 'b': {
          const auto* state = pop();
          auto* obj = container();
          if (obj->kind == PickleValue::Kind::Object)
            add_entry(obj, make_string("__state__"), state);
          break;
        }
        case 'Q':
          push(persistent(pop()));
          break;
        default:
          fail("unsupported pickle opcode 0x" + hex(op));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw CheckpointError("cannot read the pickle at byte " + std::to_string(pos_) + ": " + what);
  }
  static std::string hex(uint8_t b) {
    const char* digits = "0123456789abcdef";
    return {digits[b >> 4], digits[b & 15]};
  }
  PickleValue* make(PickleValue::Kind kind) {
    if (static_cast<int64_t>(arena_->values.size()) >= kMaxObjects)
      fail("more than " + std::to_string(kMaxObjects) + " objects");
    arena_->values.push_back(std::make_unique<PickleValue>());
    arena_->values.back()->kind = kind;
    return arena_->values.back().get();
  }
  PickleValue* make_string(std::string s, PickleValue::Kind kind = PickleValue::Kind::String) {
    string_bytes_ += static_cast<int64_t>(s.size());
    if (string_bytes_ > kMaxStringBytes) fail("strings larger than the budget");
    auto* o = make(kind);
    o->s = std::move(s);
    return o;
  }
  // Containers are the values that opcodes mutate in place; they are always arena values.
  PickleValue* container() {
    if (stack_.empty()) fail("stack underflow");
    return const_cast<PickleValue*>(stack_.back());
  }
  void grow(PickleValue* into, const PickleValue* child) {
    if (++elements_ > kMaxElements) fail("more container elements than the budget");
    if (child == into) fail("a container that holds itself");
    into->depth = std::max(into->depth, child->depth + 1);
    if (into->depth > kMaxDepth) fail("nested deeper than " + std::to_string(kMaxDepth));
  }
  void add_item(PickleValue* into, const PickleValue* v) {
    grow(into, v);
    into->items.push_back(v);
  }
  void add_entry(PickleValue* into, const PickleValue* k, const PickleValue* v) {
    grow(into, k);
    grow(into, v);
    into->entries.emplace_back(k, v);
  }
  const uint8_t* take(uint64_t n) {
    if (n > p_.size() - pos_) fail("truncated");
    const uint8_t* at = p_.data() + pos_;
    pos_ += n;
    return at;
  }
  uint8_t byte() { return *take(1); }
  uint32_t u16() {
    auto b = take(2);
    return b[0] | (b[1] << 8);
  }
  uint32_t u32() {
    auto b = take(4);
    return uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
  }
  uint64_t u64() {
    uint64_t lo = u32();
    uint64_t hi = u32();
    return lo | (hi << 32);
  }
  int64_t long1() {
    const uint8_t n = byte();
    if (n > 8) fail("integer too large");
    auto b = take(n);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[i];
    if (n > 0 && n < 8 && (b[n - 1] & 0x80)) v -= uint64_t{1} << (8 * n);
    return static_cast<int64_t>(v);
  }
  std::string str(uint64_t n) {
    auto b = take(n);
    return {reinterpret_cast<const char*>(b), static_cast<size_t>(n)};
  }
  std::string line() {
    std::string s;
    while (true) {
      char c = static_cast<char>(byte());
      if (c == '\n') return s;
      if (s.size() >= 1024) fail("a global name longer than 1024 characters");
      s += c;
    }
  }
  void push(const PickleValue* v) {
    if (stack_.size() >= kMaxStack) fail("stack deeper than the budget");
    stack_.push_back(v);
  }
  void push_int(int64_t v) {
    auto* o = make(PickleValue::Kind::Int);
    o->i = v;
    push(o);
  }
  const PickleValue* pop() {
    if (stack_.empty()) fail("stack underflow");
    const auto* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  void memoize(int64_t key) {
    if (stack_.empty()) fail("stack underflow");
    if (memo_.size() >= kMaxMemo && !memo_.count(key)) fail("memo larger than the budget");
    memo_[key] = stack_.back();
  }
  const PickleValue* memo_at(int64_t k) {
    auto it = memo_.find(k);
    if (it == memo_.end()) fail("bad memo");
    return it->second;
  }
  std::vector<const PickleValue*> pop_mark() {
    if (marks_.empty()) fail("no mark");
    const size_t m = marks_.back();
    marks_.pop_back();
    if (m > stack_.size()) fail("mark below the stack");
    std::vector<const PickleValue*> out(stack_.begin() + static_cast<std::ptrdiff_t>(m),
                                        stack_.end());
    stack_.resize(m);
    return out;
  }
  PickleValue* placeholder(const std::string& cls, const PickleValue* args) {
    auto* o = make(PickleValue::Kind::Object);
    o->s = cls;
    for (const auto* v : args->items) add_item(o, v);
    return o;
  }
  std::vector<int64_t> ints(const PickleValue* tuple, const char* what) const {
    if (tuple->kind != PickleValue::Kind::Tuple || tuple->items.size() > kMaxDims)
      fail(std::string("tensor ") + what + " is not a short tuple");
    std::vector<int64_t> v;
    for (const auto* x : tuple->items) {
      if (x->kind != PickleValue::Kind::Int || x->i < 0)
        fail(std::string("tensor ") + what + " holds a value that is not a count");
      v.push_back(x->i);
    }
    return v;
  }
  // Refuses views that reach outside their storage or repeat its elements (stride 0 or
  // overlapping strides), before any memory is allocated for them.
  void check_view(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                  int64_t offset, int64_t storage_numel) const {
    if (sizes.size() != strides.size()) fail("tensor sizes and strides differ in length");
    if (offset < 0 || offset > storage_numel) fail("tensor offset outside its storage");
    int64_t numel = 1, last = offset;
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (sizes[d] == 0) return;  // an empty view reads nothing
      if (sizes[d] > storage_numel || strides[d] > storage_numel)
        fail("tensor view larger than its storage");
      numel *= sizes[d];
      if (numel > storage_numel) fail("tensor view has more elements than its storage");
      last += (sizes[d] - 1) * strides[d];
      if (last >= storage_numel) fail("tensor view reaches outside its storage");
    }
    if (last >= storage_numel) fail("tensor view reaches outside its storage");
    if (numel > 1) {
      std::vector<size_t> order(sizes.size());
      for (size_t d = 0; d < order.size(); ++d) order[d] = d;
      std::sort(order.begin(), order.end(),
                [&](size_t a, size_t b) { return strides[a] < strides[b]; });
      int64_t span = 1;
      for (size_t d : order) {
        if (sizes[d] == 1) continue;
        if (strides[d] < span) fail("tensor view repeats storage elements (overlapping strides)");
        span = strides[d] * sizes[d];
      }
    }
  }
  PickleValue* reduce(const PickleValue* callable, const PickleValue* args) {
    const std::string& name = callable->s;
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (args->kind != PickleValue::Kind::Tuple || args->items.size() < 4 ||
          args->items[0]->kind != PickleValue::Kind::Storage ||
          args->items[1]->kind != PickleValue::Kind::Int)
        fail("malformed tensor record");
      const auto& storage = args->items[0]->tensor;
      const auto sizes = ints(args->items[2], "sizes");
      const auto strides = ints(args->items[3], "strides");
      check_view(sizes, strides, args->items[1]->i, storage.numel());
      auto* t = make(PickleValue::Kind::Tensor);
      // A view over its whole storage in order (what torch.save writes for a parameter) is
      // the storage itself; any other view is copied out, so that it does not keep a larger
      // storage alive, nor share its elements with another tensor.
      const auto view = storage.as_strided(sizes, strides, args->items[1]->i);
      const bool whole = args->items[1]->i == 0 && view.numel() == storage.numel() &&
                         view.is_contiguous() && taken_whole_.insert(args->items[0]).second;
      t->tensor = whole ? view : view.clone();
      return t;
    }
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
      if (args->kind != PickleValue::Kind::Tuple || args->items.empty())
        fail("malformed parameter record");
      return const_cast<PickleValue*>(args->items[0]);
    }
    if (name == "collections.OrderedDict") return make(PickleValue::Kind::Dict);
    return placeholder(name, args);  // never called: an inert record of what it was
  }
  PickleValue* persistent(const PickleValue* pid) {
    if (pid->kind != PickleValue::Kind::Tuple || pid->items.size() < 5 ||
        pid->items[0]->s != "storage" || pid->items[2]->kind != PickleValue::Kind::String ||
        pid->items[4]->kind != PickleValue::Kind::Int || pid->items[4]->i < 0)
      fail("unsupported persistent id");
    const auto dtype = storage_dtype(pid->items[1]->s);
    const std::string& key = pid->items[2]->s;
    if (auto it = storages_.find(key); it != storages_.end()) {
      if (it->second->tensor.scalar_type() != dtype)
        fail("storage '" + key + "' read twice as two types");
      return it->second;
    }
    auto* s = make(PickleValue::Kind::Storage);
    s->tensor = load_storage_(key, dtype, pid->items[4]->i);
    storages_.emplace(key, s);
    return s;
  }

  const std::vector<uint8_t>& p_;
  size_t pos_ = 0;
  StorageLoader load_storage_;
  std::shared_ptr<PickleArena> arena_;
  std::vector<const PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::map<int64_t, const PickleValue*> memo_;
  std::map<std::string, PickleValue*> storages_;
  std::set<const PickleValue*> taken_whole_;  // storages a tensor already is, uncopied
  int64_t elements_ = 0;
  int64_t string_bytes_ = 0;
};

// --- writer ---------------------------------------------------------------------------

class PickleWriter {
 public:
  void op(uint8_t b) { out.push_back(b); }
  void raw(const std::string& s) { out.insert(out.end(), s.begin(), s.end()); }
  void string(const std::string& s) {
    op('X');
    for (int i = 0; i < 4; ++i) op(static_cast<uint8_t>(s.size() >> (8 * i)));
    raw(s);
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      op(static_cast<uint8_t>(v));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      for (int i = 0; i < 4; ++i) op(static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * i)));
    } else {
      op(0x8a);
      op(8);
      for (int i = 0; i < 8; ++i) op(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
    }
  }
  void global(const std::string& module, const std::string& name) {
    op('c');
    raw(module + "\n" + name + "\n");
  }
  void int_tuple(at::IntArrayRef values) {
    op('(');
    for (auto v : values) integer(v);
    op('t');
  }
  std::vector<uint8_t> out;
};

std::string storage_type_name(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return "FloatStorage";
    case at::kDouble:
      return "DoubleStorage";
    case at::kHalf:
      return "HalfStorage";
    case at::kBFloat16:
      return "BFloat16Storage";
    case at::kLong:
      return "LongStorage";
    default:
      throw CheckpointError(std::string("cannot write dtype ") + at::toString(type));
  }
}

std::string archive_prefix(const ZipReader& zip) {
  for (const auto& name : zip.names()) {
    const auto slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0)
      return name.substr(0, slash + 1);
  }
  throw CheckpointError("the archive holds no data.pkl: not a torch.save file");
}

}  // namespace

PickleRef load_torch_archive(const std::string& path) {
  ZipReader zip(path);
  const std::string prefix = archive_prefix(zip);
  if (zip.size_of(prefix + "data.pkl") > kMaxPickleBytes)
    throw CheckpointError(
        "'" + path + "': its pickle is " + std::to_string(zip.size_of(prefix + "data.pkl") >> 20) +
        " MiB, above the limit of " + std::to_string(kMaxPickleBytes >> 20) + " MiB");
  const auto pickle = zip.read(prefix + "data.pkl");
  Unpickler unpickler(pickle, [&](const std::string& key, at::ScalarType dtype, int64_t numel) {
    const std::string record = prefix + "data/" + key;
    const auto element = static_cast<int64_t>(at::elementSize(dtype));
    if (numel > static_cast<int64_t>(zip.size_of(record)) / element)
      throw CheckpointError("storage '" + key + "' is shorter than its " + std::to_string(numel) +
                            " elements");
    auto t = at::empty({numel}, at::TensorOptions().dtype(dtype));
    zip.read_into(record, t.data_ptr(), static_cast<uint64_t>(numel * element));
    count_tensor_read();
    return t;
  });
  try {
    return unpickler.run();
  } catch (const CheckpointError& e) {
    throw CheckpointError("'" + path + "': " + e.what());
  }
}

PickleRef unpickle_with_zero_storages(const std::vector<uint8_t>& pickle,
                                      int64_t max_storage_elements) {
  Unpickler unpickler(pickle, [&](const std::string& key, at::ScalarType dtype, int64_t numel) {
    if (numel > max_storage_elements)
      throw CheckpointError("storage '" + key + "' is larger than the test limit");
    return at::zeros({numel}, at::TensorOptions().dtype(dtype));
  });
  return unpickler.run();
}

NamedTensors state_dict_of(const PickleRef& root, std::string* found_under) {
  if (!root || root->kind != PickleValue::Kind::Dict)
    throw CheckpointError("the file does not hold a dict (found a different Python object)");
  const PickleValue* dict = root.get();
  *found_under = "";
  for (const char* key : {"model", "state_dict", "model_state"}) {
    for (const auto& [k, v] : root->entries)
      if (k->kind == PickleValue::Kind::String && k->s == key &&
          v->kind == PickleValue::Kind::Dict) {
        dict = v;
        *found_under = key;
      }
    if (!found_under->empty()) break;
  }
  NamedTensors out;
  for (const auto& [k, v] : dict->entries)
    if (k->kind == PickleValue::Kind::String && v->kind == PickleValue::Kind::Tensor)
      out.emplace_back(k->s, v->tensor);
  if (out.empty()) throw CheckpointError("no tensors found in the file's state dict");
  return out;
}

std::string root_string(const PickleRef& root, const std::string& key) {
  if (!root || root->kind != PickleValue::Kind::Dict) return "";
  for (const auto& [k, v] : root->entries)
    if (k->kind == PickleValue::Kind::String && k->s == key && v->kind == PickleValue::Kind::String)
      return v->s;
  return "";
}

void save_torch_state_dict(const std::string& path, const NamedTensors& tensors,
                           const std::string& extra_key, const std::string& extra_value) {
  PickleWriter w;
  w.op(0x80);
  w.op(2);
  w.op('}');
  w.string("model");
  w.op('}');
  w.op('(');
  std::vector<ZipRecord> records;
  const std::string prefix = "archive/";
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, tensor] = tensors[i];
    auto t = tensor.detach().to(at::kCPU).contiguous();
    const std::string key = std::to_string(i);
    w.string(name);
    w.global("torch._utils", "_rebuild_tensor_v2");
    w.op('(');
    w.op('(');  // persistent id
    w.string("storage");
    w.global("torch", storage_type_name(t.scalar_type()));
    w.string(key);
    w.string("cpu");
    w.integer(t.numel());
    w.op('t');
    w.op('Q');
    w.integer(0);
    w.int_tuple(t.sizes());
    w.int_tuple(t.strides());
    w.op(0x89);  // requires_grad False
    w.global("collections", "OrderedDict");
    w.op(')');
    w.op('R');
    w.op('t');
    w.op('R');
    const auto* data = static_cast<const uint8_t*>(t.data_ptr());
    records.push_back(
        {prefix + "data/" + key, std::vector<uint8_t>(data, data + t.numel() * t.element_size())});
  }
  w.op('u');
  w.op('s');
  if (!extra_key.empty()) {
    w.string(extra_key);
    w.string(extra_value);
    w.op('s');
  }
  w.op('.');
  records.insert(records.begin(), ZipRecord{prefix + "data.pkl", w.out});
  records.push_back({prefix + "byteorder", {'l', 'i', 't', 't', 'l', 'e'}});
  records.push_back({prefix + "version", {'3', '\n'}});
  write_zip(path, records);
}

}  // namespace mae
